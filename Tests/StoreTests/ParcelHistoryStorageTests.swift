import Foundation
import PropertyBased
import Testing
import Geometry
import Parcels
import Store
import TestSupport

/// The flat history of a snapshot answers as a dictionary of per-parcel lists does, whatever
/// order the events come in and whatever the ids' characters (the stores' byte order is not
/// Swift's `String` order for every id: Swift holds "é" and "e\u{301}" equal).
@Suite("Parcel history storage")
struct ParcelHistoryStorageTests {
    static let ids = ["A-1", "A-10", "A-2", "Z-1", "Ä-1", "a", "黄庄-7", "NH-0000001", "é"]

    func event(_ id: Int64, _ parcel: String, day: Int) throws -> ParcelEvent {
        ParcelEvent(eventID: id, parcelID: parcel, kind: .transition, effectiveDate: try CalendarDate(parsing: String(format: "2024-01-%02d", day)),
                    recordedAt: "2024-01-01T00:00:00Z", recordedBy: "test")
    }

    @Test func answersAsPerParcelListsDo() async throws {
        await checkProperty(count: 30, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            var model: [String: [ParcelEvent]] = [:]
            var appended: [ParcelEvent] = []
            for n in 0..<Int.random(in: 0...40, using: &rng) {
                let id = Self.ids.randomElement(using: &rng)!
                let e = try event(Int64(n), id, day: (model[id]?.count ?? 0) + 1)
                model[id, default: []].append(e)
                appended.append(e)
            }
            // Appended as a store reads them (grouped, in id order), or in any order.
            var inOrder = ParcelHistory()
            for id in model.keys.sorted(by: ParcelID.precedes) { for e in model[id]! { inOrder.append(e) } }
            var shuffled = ParcelHistory()
            for e in appended { shuffled.append(e) }
            shuffled.finish()
            for history in [inOrder, shuffled, ParcelHistory(model)] {
                #expect(history.events.map(\.eventID) == inOrder.events.map(\.eventID))
                for id in Self.ids { #expect(Array(history.events(of: id)) == (model[id] ?? []), "\(id)") }
                var seen: [String] = []
                history.forEachParcel { id, list in
                    seen.append(id)
                    #expect(Array(list) == model[id])
                }
                #expect(seen == model.keys.sorted(by: ParcelID.precedes))
                // A cursor gives the same lists in id order and, by search, in any other.
                for order in [Self.ids.sorted(by: ParcelID.precedes), Self.ids.shuffled(using: &rng)] {
                    history.events.withUnsafeBufferPointer { list in
                        var cursor = ParcelHistory.Cursor(list)
                        for id in order { #expect(Array(cursor.events(of: id)) == (model[id] ?? []), "\(id)") }
                    }
                }
            }
        }
    }

    /// Events in any order (a table read in its own order) come out grouped by parcel in byte
    /// order, each parcel's by date, then event id: whether shuffled, or an ordered start with
    /// later changes after it (a store's import events, then its transitions).
    @Test func eventsInAnyOrderAreOrderedAsTheIndexOrdersThem() async throws {
        await checkProperty(count: 60, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix(seed: UInt64(truncatingIfNeeded: seed))
            let events = try (0..<Int.random(in: 0...80, using: &rng)).map { n in
                try event(Int64(n), Self.ids.randomElement(using: &rng)!, day: Int.random(in: 1...5, using: &rng))
            }
            let expected = events.sorted { a, b in
                let (x, y) = (Array(a.parcelID.utf8), Array(b.parcelID.utf8))
                if x != y { return x.lexicographicallyPrecedes(y) }
                return (a.effectiveDate, a.eventID) < (b.effectiveDate, b.eventID)
            }
            let cut = Int.random(in: 0...events.count, using: &rng)
            let orderedStart = Array(expected[..<cut]) + expected[cut...].shuffled(using: &rng)
            for input in [events.shuffled(using: &rng), orderedStart, expected, expected.reversed()] {
                #expect(ParcelHistory(anyOrder: input).events.map(\.eventID) == expected.map(\.eventID))
            }
        }
    }

    @Test func byteOrderIsNotStringOrder() {
        #expect(ParcelID.precedes("e\u{301}", "é") && !("e\u{301}" < "é") && !("é" < "e\u{301}"))
        #expect(ParcelID.precedes("A-1", "A-10") && ParcelID.precedes("A-10", "A-2"))
        #expect(!ParcelID.precedes("a", "a"))
        // The three-way answer: 0 only for the same bytes, its sign that of `precedes`.
        #expect(ParcelID.order("a", "a") == 0 && ParcelID.order("", "") == 0)
        #expect(ParcelID.order("e\u{301}", "é") < 0 && ParcelID.order("é", "e\u{301}") > 0)
        #expect(ParcelID.order("A-1", "A-10") < 0 && ParcelID.order("A-10", "A-1") > 0 && ParcelID.order("", "a") < 0)
        // Short ids (stored in the string itself) and long ones, sharing prefixes, against the
        // bytes' own lexicographic order.
        var rng = SplitMix(seed: 11)
        let pieces = ["A", "a", "-", "1", "10", "é", "e\u{301}", "黄庄", "NH-000000", "\u{7F}", "Z"]
        let longer = (0..<60).map { _ in (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
        for x in Self.ids + longer {
            for y in Self.ids + longer {
                let bytesOrder = x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : x.utf8.elementsEqual(y.utf8) ? 0 : 1
                #expect(ParcelID.order(x, y).signum() == bytesOrder && ParcelID.precedes(x, y) == (bytesOrder < 0), "\(x) \(y)")
            }
        }
    }
}

/// Snapshots are folded in parts on several threads (from 4,096 parcels on): each date's
/// parcels are those a fold of every parcel one after another gives, in the same order, and
/// the geometry a later re-import replaced is the one shown before it.
@Suite("Snapshot assembly")
struct SnapshotAssemblyTests {
    @Test func partsFoldAsOneParcelAfterAnotherDoes() throws {
        var rng = SplitMix(seed: 7)
        let d = { (s: String) throws -> CalendarDate in try CalendarDate(parsing: s) }
        let square = { (x: Double) throws -> Polygon in
            Polygon(exterior: try LinearRing([Point(x: x, y: 0), Point(x: x + 1, y: 0), Point(x: x + 1, y: 1), Point(x: x, y: 1), Point(x: x, y: 0)]))
        }
        var base: [Parcel] = []
        var events: [ParcelEvent] = []
        var replaced: [String: [(CalendarDate, [Polygon])]] = [:]
        for i in 0..<9_000 {
            let id = String(format: "NH-%05d", i)
            var p = Parcel(id: id, state: .farmland, polygons: [try square(Double(i))], areaSquareMetres: 1)
            let imported = try d(["2023-01-01", "2024-01-01"][i % 5 == 0 ? 1 : 0])
            events.append(ParcelEvent(eventID: Int64(events.count), parcelID: id, kind: .imported, toState: .wasteland, pbfAfter: false,
                                      effectiveDate: imported, recordedAt: "r", recordedBy: "t"))
            if Int.random(in: 0..<3, using: &rng) == 0 {
                events.append(ParcelEvent(eventID: Int64(events.count), parcelID: id, kind: .transition, fromState: .wasteland, toState: .farmland,
                                          effectiveDate: try d("2024-06-01"), recordedAt: "r", recordedBy: "t"))
            } else {
                p.state = .wasteland
            }
            if i % 97 == 0 {
                events.append(ParcelEvent(eventID: Int64(events.count), parcelID: id, kind: .split, fromState: p.state,
                                          effectiveDate: try d("2024-09-01"), recordedAt: "r", recordedBy: "t"))
                p.active = false
            }
            if i % 13 == 0 { replaced[id] = [(try d("2024-03-01"), [try square(Double(i) + 0.5)])] }
            base.append(p)
        }
        let history = ParcelHistory(anyOrder: events)
        let dates: [CalendarDate?] = [try d("2023-06-30"), try d("2024-03-31"), nil, try d("2024-12-31")]
        let snapshots = try SnapshotAssembly.snapshots(
            at: dates, crs: .crs84, layers: [:], base: base, events: history, replaced: replaced, history: true,
            decode: { (polygons: [Polygon]) throws(LandtrackError) -> [Polygon] in polygons })
        // By hand: a fifth imported in 2024, every 97th retired by a split in September 2024.
        #expect(snapshots.map(\.parcels.count) == [7_200, 9_000, 9_000 - 93, 9_000 - 93])
        for (date, snapshot) in zip(dates, snapshots) {
            let expected: [Parcel] = base.compactMap { p in
                guard let date else { return p.active ? p : nil }
                guard var then = SnapshotAssembly.fold(p, history.events(of: p.id), through: date) else { return nil }
                if let old = replaced[p.id]?.first(where: { $0.0 > date }) { then.polygons = old.1 }
                return then
            }
            #expect(snapshot.parcels.map(\.id) == expected.map(\.id), "\(String(describing: date))")
            #expect(snapshot.parcels.map(\.state) == expected.map(\.state))
            #expect(snapshot.parcels.map(\.polygons) == expected.map(\.polygons))
        }
    }

    /// A replaced geometry that cannot be read stops the fold on every date with an error, in
    /// either part (what one part folded before is let go, never handed out).
    @Test(arguments: [100, 8_000]) func anUnreadableReplacedGeometryIsAnError(failing: Int) throws {
        let d = { (s: String) throws -> CalendarDate in try CalendarDate(parsing: s) }
        var base: [Parcel] = []
        var events: [ParcelEvent] = []
        var replaced: [String: [(CalendarDate, Int)]] = [:]
        for i in 0..<9_000 {
            let id = String(format: "NH-%05d", i)
            base.append(Parcel(id: id, state: .farmland, polygons: [], areaSquareMetres: 1))
            events.append(ParcelEvent(eventID: Int64(i), parcelID: id, kind: .imported, toState: .farmland, pbfAfter: false,
                                      effectiveDate: try d("2023-01-01"), recordedAt: "r", recordedBy: "t"))
            if i % 50 == 0 { replaced[id] = [(try d("2024-03-01"), i)] }
        }
        let history = ParcelHistory(anyOrder: events)
        func fold(_ dates: [CalendarDate?]) throws(LandtrackError) -> [Snapshot] {
            try SnapshotAssembly.snapshots(
                at: dates, crs: .crs84, layers: [:], base: base, events: history, replaced: replaced, history: false,
                decode: { (i: Int) throws(LandtrackError) -> [Polygon] in
                    if i == failing { throw .store(location: "test", .corrupt("geometry \(i)")) }
                    return []
                })
        }
        for dates in [[try d("2023-06-30"), nil], [nil, try d("2023-06-30")]] as [[CalendarDate?]] {
            let error = #expect(throws: LandtrackError.self) { try fold(dates) }
            #expect(error?.description.contains("geometry \(failing)") == true, "\(String(describing: error))")
        }
        // Negative control: without the unreadable one, the same fold succeeds.
        replaced[String(format: "NH-%05d", failing)] = nil
        #expect(try fold([try d("2023-06-30"), nil]).map(\.parcels.count) == [9_000, 9_000])
    }
}
