import Foundation
import PropertyBased
import Testing
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
        await propertyCheck(count: 30, input: Gen.int(in: 0...Int.max)) { seed in
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
                    var cursor = ParcelHistory.Cursor(history)
                    for id in order { #expect(Array(cursor.events(of: id)) == (model[id] ?? []), "\(id)") }
                }
            }
        }
    }

    @Test func byteOrderIsNotStringOrder() {
        #expect(ParcelID.precedes("e\u{301}", "é") && !("e\u{301}" < "é") && !("é" < "e\u{301}"))
        #expect(ParcelID.precedes("A-1", "A-10") && ParcelID.precedes("A-10", "A-2"))
        #expect(!ParcelID.precedes("a", "a"))
    }
}
