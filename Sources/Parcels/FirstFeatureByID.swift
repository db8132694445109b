/// The first feature of a file that had each id: the duplicate-id check of a read, which runs on
/// the one thread that receives the features in order while the others parse.
///
/// Why not a `[String: Int]`: on that thread the dictionary hashed every id and rehashed all of
/// them at each doubling (a tenth of a one-thread read of a million parcels). Here the id's
/// hash is computed beside the parse (`String.hashValue`, seeded per process as the dictionary's
/// is), a slot holds 32 bits of it with the entry's number, so a lookup touches one slot and reads
/// an id only when those bits agree; growing moves slots by the hashes kept, without hashing again.
struct FirstFeatureByID {
    /// 0 is empty; else the hash's high 32 bits, then the entry's number + 1.
    private var slots: [UInt64]
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
        slots = Array(repeating: 0, count: size)
        hashes.reserveCapacity(room)
        ids.reserveCapacity(room)
        featureIndices.reserveCapacity(room)
    }

    /// The index of the first feature with `id`; nil when this is the first (it is then
    /// remembered with `featureIndex`). `hash` is `id.hashValue`.
    mutating func firstIndex(of id: String, hash: Int, featureIndex: Int) -> Int? {
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
