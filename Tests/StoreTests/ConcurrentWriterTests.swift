import Foundation
import Geometry
import Parcels
import Store
import Testing
import TestSupport

/// Several writers on one store at once, each with a store object (and so connections) of its
/// own, as two CLI processes or two server instances are: a parcel is never moved twice from the
/// same prior state, a batch is all or nothing, and nothing is written twice.
@Suite("Writers at once")
struct ConcurrentWriterTests {
    /// Ten farmland squares in a row, one apart (none touches another).
    func tenFarmlandSquares(_ backend: Backend) throws -> any ParcelStore {
        try squareParcelStore((0..<10).map { ("P\($0)", "farmland", false, Double(2 * $0), 0, 1) }, backend: backend)
    }

    /// Six writers race to move every square from farmland to wasteland, each in its own order:
    /// each parcel moves exactly once; every other attempt is told it is already wasteland.
    @Test(arguments: Backend.available) func aParcelMovesOnceFromItsPriorState(backend: Backend) throws {
        let store = try tenFarmlandSquares(backend)
        let location = store.location
        let ids = (0..<10).map { "P\($0)" }
        let date = try CalendarDate(parsing: "2024-03-01")
        let outcomes = try race(6) { k in
            let writer = try backend.open(location, create: false)
            var rng = SplitMix(seed: UInt64(k + 1))
            var out: [(String, Result<Int, LandtrackError>)] = []
            for id in ids.shuffled(using: &rng) {
                do {
                    let events = try writer.transition([TransitionRequest(parcelID: id, to: .wasteland, date: date)], by: "writer \(k)")
                    out.append((id, .success(events.count)))
                } catch let error as LandtrackError {
                    out.append((id, .failure(error)))
                }
            }
            return out
        }.flatMap { $0 }
        for id in ids {
            let attempts = outcomes.filter { $0.0 == id }.map(\.1)
            let moved = attempts.filter { if case .success(1) = $0 { true } else { false } }
            #expect(moved.count == 1, "\(id): \(attempts)")
            for case let .failure(error) in attempts {
                #expect(error.refusals.map(\.code) == ["no-change"], "\(id): \(error)")
            }
            let transitions = try store.history(id).filter { $0.kind == .transition }
            #expect(transitions.count == 1 && transitions.first?.fromState == .farmland, "\(id): \(transitions)")
            #expect(try store.parcel(id)?.state == .wasteland)
        }
    }

    /// Two writers move the same two parcels in one batch each, in opposite orders (a deadlock on
    /// a server with row locks, which the losing transaction retries): one batch moves both
    /// parcels, the other is refused whole; never one parcel each.
    @Test(arguments: Backend.available) func batchesInOppositeOrdersAreAllOrNothing(backend: Backend) throws {
        let store = try tenFarmlandSquares(backend)
        let location = store.location
        let date = try CalendarDate(parsing: "2024-03-01")
        for pair in stride(from: 0, to: 10, by: 2).map({ ["P\($0)", "P\($0 + 1)"] }) {
            // Each writer returns how many parcels it moved and the codes of its refusals.
            let outcomes = try race(2) { k in
                let writer = try backend.open(location, create: false)
                let order = k == 0 ? pair : pair.reversed()
                do {
                    let moved = try writer.transition(order.map { TransitionRequest(parcelID: $0, to: .wasteland, date: date) }, by: "writer \(k)")
                    return "\(moved.count) moved"
                } catch let error as LandtrackError {
                    return error.refusals.map(\.code).joined(separator: ",")
                }
            }
            #expect(outcomes.sorted() == ["2 moved", "no-change,no-change"], "\(pair): \(outcomes)")
            let movers = try pair.map { id in try store.history(id).filter { $0.kind == .transition }.map(\.recordedBy) }
            #expect(movers[0].count == 1 && movers[0] == movers[1], "\(pair): moved by \(movers)")
        }
    }

    /// Three writers import the same new parcels into a store that has others: they are added
    /// once (one import event each), the other imports find them unchanged.
    @Test(arguments: Backend.available) func theSameNewParcelsAreAddedOnce(backend: Backend) throws {
        let store = try tenFarmlandSquares(backend)
        let location = store.location
        func square(_ id: String, _ c: Double) -> String {
            let x = 113.1 + c * 0.001, y = 23.06
            return #"{"type":"Feature","properties":{"id":"\#(id)","state":"wasteland"},"geometry":{"type":"Polygon","coordinates":[[[\#(x),\#(y)],[\#(x + 0.001),\#(y)],[\#(x + 0.001),\#(y + 0.001)],[\#(x),\#(y + 0.001)],[\#(x),\#(y)]]]}}"#
        }
        let file = #"{"type":"FeatureCollection","features":["# + (0..<20).map { square("N\($0)", Double(2 * $0)) }.joined(separator: ",") + "]}"
        let summaries = try race(3) { _ in
            let writer = try backend.open(location, create: false)
            var options = ImportOptions()
            options.date = try CalendarDate(parsing: "2024-05-01")
            let s = try writer.importParcels(InputBytes(name: "new.geojson", text: file), options: options)
            return [s.added, s.unchanged]
        }
        #expect(summaries.map { $0[0] }.reduce(0, +) == 20, "\(summaries)")
        #expect(summaries.allSatisfy { $0[0] + $0[1] == 20 }, "\(summaries)")
        for i in 0..<20 {
            #expect(try store.history("N\(i)").map(\.kind) == [.imported])
        }
        #expect(try store.counts()["parcels"] == 30)
    }
}
