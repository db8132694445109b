import Foundation
import Geometry
import Parcels
import Store
import Testing
import TestSupport

/// A re-import of the last clean import's file is not read while no parcel has changed since
/// (`ImportFingerprint`): it must say what reading would have said, and any change to the
/// parcels, the file or the options — by landtrack or behind its back — must make it read again.
@Suite("Import fingerprint")
struct ImportFingerprintTests {
    static let sample = geodata.appendingPathComponent("nanhai-sample.geojson").path

    func imported(_ backend: Backend, _ path: String = sample, options: ImportOptions = ImportOptions()) throws -> any ParcelStore {
        let store = try backend.newStore()
        let first = try store.importParcels(try InputBytes(path: path), options: options)
        #expect(first.added > 0 && first.sameAsLastImport == nil)
        return store
    }

    func again(_ store: any ParcelStore, _ path: String = sample, options: ImportOptions = ImportOptions()) throws -> ImportSummary {
        try store.importParcels(try InputBytes(path: path), options: options)
    }

    func readingAgain(_ store: any ParcelStore, _ path: String = sample) throws -> ImportSummary {
        var options = ImportOptions()
        options.readAgain = true
        return try store.importParcels(try InputBytes(path: path), options: options)
    }

    func counts(_ s: ImportSummary) -> [Int] { [s.added, s.updated, s.unchanged, s.rejected, s.transitions, s.basicFarmlandChanges] }

    /// The recorded fingerprint is the file's SHA-256 as sha256sum computes it; the import that
    /// is not read gives the counts and line of one that reads and compares, and writes nothing.
    @Test(arguments: Backend.available) func theSameFileAgainIsNotReadAndSaysWhatReadingWould(backend: Backend) throws {
        let store = try imported(backend)
        let recorded = try #require(try store.lastImportFingerprint())
        if let sum = try tool("/usr/bin/sha256sum", [Self.sample]) {
            #expect(sum.output.hasPrefix(recorded.fileSHA256 + " "), "\(sum.output) vs \(recorded.fileSHA256)")
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: Self.sample)[.size] as? Int)
        #expect(recorded.fileBytes == size && recorded.parcels == 2000 && recorded.source == Self.sample)
        let before = try store.counts()
        let skipped = try again(store)
        #expect(skipped.sameAsLastImport == recorded)
        let read = try readingAgain(store)
        #expect(read.sameAsLastImport == nil)
        #expect(counts(skipped) == counts(read) && counts(read) == [0, 0, 2000, 0, 0, 0])
        #expect(skipped.line == read.line + " (the same file, by SHA-256, and options as the import recorded \(recorded.recordedAt), and no parcel changed since: not read again)")
        #expect(try store.counts() == before)
        // A read that changes nothing records the file again: the next one is not read.
        #expect(try again(store).sameAsLastImport != nil)
        // With --on-invalid skip it still writes the rejects file reading would have written: none rejected.
        var skip = ImportOptions()
        skip.onInvalid = .skip
        skip.rejectsPath = try scratchDirectory().appendingPathComponent("rejects.geojson").path
        #expect(try again(store, options: skip).sameAsLastImport != nil)
        #expect(try String(contentsOfFile: skip.rejectsPath!, encoding: .utf8) == "{\"type\":\"FeatureCollection\",\"features\":[]}\n")
    }

    /// A change through landtrack's write path (here a PBF designation) forgets the fingerprint
    /// in the same transaction; the re-import reads the file and decides as before.
    @Test(arguments: Backend.available) func aChangeThroughLandtrackForgetsIt(backend: Backend) throws {
        let store = try imported(backend)
        let farmland = try #require(try store.snapshot().parcels.first { $0.state == .farmland && !$0.basicFarmland })
        try store.setBasicFarmland(farmland.id, designated: true, date: CalendarDate(parsing: "2030-01-01"))
        #expect(try store.lastImportFingerprint() == nil)
        // The sample states PBF: the file's `false` is a release, dated today, before the 2030 designation.
        let error = #expect(throws: LandtrackError.self) { try again(store) }
        let refused = reasons(error)
        #expect(refused.count == 1 && refused.allSatisfy { if case .datedBeforeHistory = $0 { true } else { false } }, "\(refused)")
    }

    /// Edits behind landtrack's back (a GIS client updating or deleting rows) forget it too: the
    /// re-import restores the edited parcel and adds the deleted one back, as it would have without
    /// a fingerprint. For the GeoPackage the edits are made by GDAL (ogrinfo), as QGIS would.
    @Test(arguments: Backend.available) func editsBehindLandtracksBackForgetIt(backend: Backend) throws {
        let store = try imported(backend)
        let edit = "UPDATE parcels SET village = 'edited' WHERE parcel_id = 'NH-000010'"
        let delete = "DELETE FROM parcels WHERE parcel_id = 'NH-000020'"
        func behind(_ sql: String) throws {
            if backend == .geoPackage, let gdal = try tool("/usr/bin/ogrinfo", ["-q", store.location, "-sql", sql]) {
                #expect(gdal.status == 0, "\(gdal.output)")
            } else {
                try executeBehindTheStore(store, sql)
            }
        }
        try behind(edit)
        #expect(try store.lastImportFingerprint() == nil)
        let restored = try again(store)
        #expect(restored.sameAsLastImport == nil && counts(restored) == [0, 1, 1999, 0, 0, 0])
        #expect(try store.parcel("NH-000010")?.village != "edited")
        #expect(try again(store).sameAsLastImport != nil)
        try behind(delete)
        let readded = try again(store)
        #expect(readded.sameAsLastImport == nil && counts(readded) == [1, 0, 1999, 0, 0, 0])
        if backend == .postGIS {
            try executeBehindTheStore(store, "TRUNCATE parcels")
            #expect(try store.lastImportFingerprint() == nil)
        }
    }

    /// One changed byte, or other read options, and the file is read.
    @Test(arguments: Backend.available) func anotherFileOrOtherOptionsAreRead(backend: Backend) throws {
        let store = try imported(backend)
        let dir = try scratchDirectory()
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        let original = #""id":"NH-000001","state":"wasteland","basic_farmland":true,"village":"黄庄村""#
        #expect(text.contains(original))
        let changed = dir.appendingPathComponent("changed.geojson").path
        try text.replacingOccurrences(of: original, with: original.replacingOccurrences(of: "黄庄村", with: "黄庄材"))
            .write(toFile: changed, atomically: true, encoding: .utf8)
        let read = try again(store, changed)
        #expect(read.sameAsLastImport == nil && counts(read) == [0, 1, 1999, 0, 0, 0])
        // Other options: a default state nobody needs still makes other read options.
        var options = ImportOptions()
        options.defaultState = .other
        let other = try again(store, changed, options: options)
        #expect(other.sameAsLastImport == nil && counts(other) == [0, 0, 2000, 0, 0, 0])
        #expect(try again(store, changed, options: options).sameAsLastImport != nil)
        // The last import's fingerprint is the only one kept.
        #expect(try again(store, changed).sameAsLastImport == nil)
    }

    /// An import with something to say (a rejected feature, a repair) records nothing: the next
    /// import reads the file and says it again.
    @Test(arguments: Backend.available) func anImportWithProblemsRecordsNothing(backend: Backend) throws {
        let dir = try scratchDirectory()
        let bowtie = #"{"type":"Feature","properties":{"id":"BAD-1","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[[[113.2,23.2],[113.201,23.201],[113.201,23.2],[113.2,23.201],[113.2,23.2]]]}}"#
        let text = try String(contentsOfFile: Self.sample, encoding: .utf8)
        let end = try #require(text.range(of: "]", options: .backwards))
        let path = dir.appendingPathComponent("with-bowtie.geojson").path
        try (text[..<end.lowerBound] + "," + bowtie + text[end.lowerBound...]).write(toFile: path, atomically: true, encoding: .utf8)
        var skip = ImportOptions()
        skip.onInvalid = .skip
        skip.rejectsPath = dir.appendingPathComponent("rejects.geojson").path
        let store = try imported(backend, path, options: skip)
        #expect(try store.lastImportFingerprint() == nil)
        try FileManager.default.removeItem(atPath: skip.rejectsPath!)
        let second = try again(store, path, options: skip)
        #expect(second.sameAsLastImport == nil && counts(second) == [0, 0, 2000, 1, 0, 0])
        #expect(FileManager.default.fileExists(atPath: skip.rejectsPath!))
        var repair = ImportOptions()
        repair.onInvalid = .repair
        let repaired = try again(store, path, options: repair)
        #expect(repaired.notes.contains { $0.code == .repaired } && repaired.added == 1)
        #expect(try store.lastImportFingerprint() == nil)
        let third = try again(store, path, options: repair)
        #expect(third.sameAsLastImport == nil && third.notes.contains { $0.code == .repaired } && third.unchanged == 2001)
    }

    /// Official areas that all agree are said again, as reading would say them.
    @Test(arguments: Backend.available) func officialAreasThatAgreeAreSaidAgain(backend: Backend) throws {
        let dir = try scratchDirectory()
        let engine = try SurveyAreaEngine(referenceMeridian: 114)
        var features: [String] = []
        for i in 0..<3 {
            let x = 113.1 + Double(i) * 0.002
            let ring = try [(x, 23.05), (x + 0.001, 23.05), (x + 0.001, 23.051), (x, 23.051), (x, 23.05)].map { try Point(x: $0.0, y: $0.1) }
            let official = ((try engine.area(of: [Polygon(exterior: try LinearRing(ring))])) * 100).rounded() / 100
            let coordinates = ring.map { "[\($0.x),\($0.y)]" }.joined(separator: ",")
            features.append(#"{"type":"Feature","properties":{"id":"T\#(i)","state":"farmland","TBMJ":\#(official)},"geometry":{"type":"Polygon","coordinates":[[\#(coordinates)]]}}"#)
        }
        let path = dir.appendingPathComponent("tbmj.geojson").path
        try #"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        var options = ImportOptions()
        options.read.fields.officialArea = "TBMJ"
        let store = try imported(backend, path, options: options)
        let skipped = try again(store, path, options: options)
        #expect(skipped.sameAsLastImport != nil)
        var reading = options
        reading.readAgain = true
        let read = try again(store, path, options: reading)
        #expect(read.officialAreas?.line == skipped.officialAreas?.line && read.officialAreas?.checked == 3 && read.officialAreas?.agreeing == 3)
        #expect(read.notes.isEmpty && counts(read) == counts(skipped))
    }

    /// A store made before the fingerprint (schema v3) gets its table and triggers when first
    /// opened for writing, and its first re-import reads the file, then records it.
    @Test func aV3StoreGetsTheFingerprintOnWrite() throws {
        let store = try imported(.geoPackage)
        try executeBehindTheStore(store, """
            DELETE FROM grdb_migrations WHERE identifier LIKE 'v4:%'; DROP TRIGGER landtrack_parcels_update_forgets_import;
            DROP TRIGGER landtrack_parcels_delete_forgets_import; DROP TABLE landtrack_import_fingerprint
            """)
        let reader = try Backend.geoPackage.open(store.location, create: false, readOnly: true)
        #expect(try reader.snapshot().parcels.count == 2000)
        let writer = try Backend.geoPackage.open(store.location, create: false)
        let read = try again(writer)
        #expect(read.sameAsLastImport == nil && read.unchanged == 2000)
        #expect(try again(writer).sameAsLastImport != nil)
        try executeBehindTheStore(writer, "UPDATE parcels SET village = 'edited' WHERE parcel_id = 'NH-000010'")
        #expect(try again(writer).updated == 1)
    }

    /// A re-import compares the stored parcels a chunk at a time, in id order: in chunks of 1, 7
    /// and all at once it writes the same record and says the same, and its refusals come in the
    /// file's order (the file here lists the ids backwards).
    @Test(arguments: Backend.available) func aReimportComparedInChunksDecidesAsOneComparison(backend: Backend) throws {
        let lines = try String(contentsOfFile: Self.sample, encoding: .utf8).split(separator: "\n").map(String.init)
        try #require(lines.count == 2002 && lines.last == "]}")
        var features = lines[1..<2001].map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
        features.reverse()
        func edited(_ edits: [(String, String)]) -> String {
            var body = features
            for (from, to) in edits {
                let i = body.firstIndex { $0.contains(from) }!
                body[i] = body[i].replacingOccurrences(of: from, with: to)
            }
            return lines[0] + "\n" + body.joined(separator: ",\n") + "\n]}\n"
        }
        let village = #""village":"黄庄村""#
        let changes = edited([
            (#""id":"NH-000002","state":"farmland""#, #""id":"NH-000002","state":"wasteland""#),  // R3, a loss
            (#""id":"NH-000003","state":"wasteland","basic_farmland":true,\#(village)"#, #""id":"NH-000003","state":"wasteland","basic_farmland":true,"village":"新村""#),
            (#""id":"NH-001999","#, #""id":"NH-NEW","#),
        ])
        let refused = edited([
            (#""id":"NH-000004","state":"wasteland""#, #""id":"NH-000004","state":"industrial_park""#),
            (#""id":"NH-001900","state":"wasteland""#, #""id":"NH-001900","state":"industrial_park""#),
        ])
        var results: [[Int]] = [], records: [[String]] = [], refusals: [[String]] = []
        for chunk in [1, 7, 65_536] {
            let store = try imported(backend)
            var options = ImportOptions()
            options.parcelsComparedAtOnce = chunk
            options.date = try CalendarDate(parsing: "2030-01-01")
            let s = try store.importParcels(InputBytes(name: "changes.geojson", text: changes), options: options)
            results.append(counts(s))
            let now = try store.snapshot(history: true)
            records.append(now.parcels.map { "\($0.id) \($0.state) \($0.village ?? "-") \(now.history?[$0.id]?.map(\.kind.rawValue) ?? [])" })
            let error = #expect(throws: LandtrackError.self) { try store.importParcels(InputBytes(name: "refused.geojson", text: refused), options: options) }
            refusals.append(refusedMoves(error).map(\.parcel))
        }
        #expect(results[0] == [1, 2, 1997, 0, 1, 0], "\(results[0])")
        #expect(results.allSatisfy { $0 == results[0] } && records.allSatisfy { $0 == records[0] })
        #expect(records[0].contains { $0.hasPrefix("NH-000003 wasteland 新村") } && records[0].contains { $0.hasPrefix("NH-NEW ") })
        #expect(refusals.allSatisfy { $0 == ["NH-001900", "NH-000004"] }, "\(refusals)")
    }

    /// The unchanged re-import only reads: while another connection holds a write transaction
    /// that changed a parcel (not yet committed), it answers from the committed fingerprint
    /// without waiting; once that writer commits, the next re-import reads the file.
    @Test(arguments: Backend.available) func theUnchangedReimportDoesNotWaitForAWriter(backend: Backend) throws {
        let store = try imported(backend)
        let other = try backend.open(store.location, create: false)
        let holding = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let writer = Thread {
            try? other.write { (tx) throws(LandtrackError) in
                var p = try tx.parcel("NH-000010")!
                p.village = "edited"
                try tx.update(p)
                holding.signal()
                // A re-import that waited for this writer would get the store only after this.
                _ = done.wait(timeout: .now() + 30)
            }
        }
        writer.start()
        holding.wait()
        let skipped = try again(store)
        let writerStillHolding = !writer.isFinished
        done.signal()
        #expect(skipped.sameAsLastImport != nil && writerStillHolding)
        while !writer.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let read = try again(store)
        #expect(read.sameAsLastImport == nil && read.updated == 1)
    }
}
