import Foundation

/// The first feature of a file that had each id: the duplicate-id check of a read, which runs on
/// the one thread that receives the features in order while the others parse.
///
/// Why not a `[String: Int]`: on that thread the dictionary hashed every id and rehashed all of
/// them at each doubling (a tenth of a one-thread read of a million parcels). Here the id's
/// hash is computed beside the parse (`String.hashValue`, seeded per process as the dictionary's
/// is), a slot holds 32 bits of it with the entry's number, so a lookup touches one slot and reads
/// an id only when those bits agree; growing moves slots by the hashes kept, without hashing again.
///
/// While the ids come in ascending byte order and are ASCII (a file sorted by its key, as
/// exports usually are), none can repeat an earlier one: they are only listed, and the table is
/// built from the list at the first id that is not so (a lookup in a table of millions was a
/// memory miss on that thread for every feature). ASCII because `String` equality is Unicode's:
/// "K" equals the Kelvin sign, U+212A, whose bytes are greater.
struct FirstFeatureByID {
    /// 0 is empty; else the hash's high 32 bits, then the entry's number + 1. Empty while the
    /// ids ascend.
    private var slots: [UInt64] = []
    private var ascending = true
    /// The table's size when it is built.
    private var tableSize: Int
    private var hashes: [Int] = []
    private var ids: [String] = []
    private var featureIndices: [Int] = []

    /// Room for `expected` ids from the start (a read knows how many features follow): a million
    /// ids grew the table ten times, each time moving every slot and copying the three lists.
    /// At most two million are made room for (a file of empty objects has many elements and no
    /// ids); more grow as before.
    init(expected: Int = 0) {
        let room = min(max(0, expected), 1 << 21)
        var size = 1024
        while size < 2 * room { size *= 2 }
        tableSize = size
        hashes.reserveCapacity(room)
        ids.reserveCapacity(room)
        featureIndices.reserveCapacity(room)
    }

    /// The index of the first feature with `id`; nil when this is the first (it is then
    /// remembered with `featureIndex`). `hash` is `id.hashValue`.
    mutating func firstIndex(of id: String, hash: Int, featureIndex: Int) -> Int? {
        if ascending {
            if ids.isEmpty ? Self.isASCII(id) : Self.isASCIIAndAfter(id, ids[ids.count - 1]) {
                precondition(ids.count < Int(UInt32.max) - 1, "more than 4 billion ids")
                hashes.append(hash)
                ids.append(id)
                featureIndices.append(featureIndex)
                return nil
            }
            buildTable()
        }
        let tag = UInt64(UInt(bitPattern: hash)) >> 32
        let mask = slots.count - 1
        var slot = Self.start(hash) & mask
        while true {
            let held = slots[slot]
            if held == 0 { break }
            if held >> 32 == tag {
                let entry = Int(held & 0xFFFF_FFFF) - 1
                if hashes[entry] == hash, ids[entry] == id { return featureIndices[entry] }
            }
            slot = (slot + 1) & mask
        }
        precondition(ids.count < Int(UInt32.max) - 1, "more than 4 billion ids")
        hashes.append(hash)
        ids.append(id)
        featureIndices.append(featureIndex)
        slots[slot] = tag << 32 | UInt64(ids.count)
        // At most half full: probes stay short.
        if ids.count * 2 > slots.count { grow() }
        return nil
    }

    /// The table of the ids listed so far, from their hashes; ids are looked up in it from now on.
    private mutating func buildTable() {
        ascending = false
        while tableSize < 2 * ids.count + 2 { tableSize *= 2 }
        slots = Array(repeating: 0, count: tableSize)
        let mask = slots.count - 1
        for entry in ids.indices {
            var slot = Self.start(hashes[entry]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = (UInt64(UInt(bitPattern: hashes[entry])) >> 32) << 32 | UInt64(entry + 1)
        }
    }

    private static func isASCII(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
    }

    /// Is `id` ASCII, and after `previous` (ASCII) in byte order?
    private static func isASCIIAndAfter(_ id: String, _ previous: String) -> Bool {
        var (id, previous) = (id, previous)
        return id.withUTF8 { bytes in
            previous.withUTF8 { earlier in
                guard bytes.allSatisfy({ $0 < 0x80 }) else { return false }
                let common = min(bytes.count, earlier.count)
                let order = common == 0 ? 0 : memcmp(bytes.baseAddress!, earlier.baseAddress!, common)
                return order > 0 || (order == 0 && bytes.count > earlier.count)
            }
        }
    }

    /// The slot a hash's probe starts at: its low bits (the tag is the high ones).
    private static func start(_ hash: Int) -> Int { Int(truncatingIfNeeded: UInt(bitPattern: hash) & 0x7FFF_FFFF_FFFF_FFFF) }

    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for held in slots where held != 0 {
            var slot = Self.start(hashes[Int(held & 0xFFFF_FFFF) - 1]) & mask
            while larger[slot] != 0 { slot = (slot + 1) & mask }
            larger[slot] = held
        }
        slots = larger
    }
}
