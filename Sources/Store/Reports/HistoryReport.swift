import Geometry
import Parcels

/// A parcel's dated history: `landtrack history` prints this.
public struct HistoryReport: Sendable, RenderableReport {
    public let parcelID: String
    public let events: [ParcelEvent]
    /// Split/merge lineage: the parcels this one came from and those it became.
    public let parents: [String]
    public let children: [String]

    public init(store: any ParcelStore, parcelID: String) throws(LandtrackError) {
        try ParcelID.check([parcelID])
        guard try store.parcel(parcelID) != nil else { throw .refused([Refusal(.unknownParcel(parcelID))]) }
        self.parcelID = parcelID
        events = try store.history(parcelID)
        (parents, children) = try store.lineage(parcelID)
    }

    private var lineageText: String {
        var lines: [String] = []
        if !parents.isEmpty { lines.append("came from: \(parents.joined(separator: ", "))") }
        if !children.isEmpty { lines.append("became: \(children.joined(separator: ", "))") }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    public func table() -> String {
        var t = TextTable(headers: ["date", "event", "change", "rule", "ref", "by", "recorded", "note"])
        for e in events {
            t.append([e.effectiveDate.description, e.kind.rawValue, e.changeDescription, e.ruleID ?? "", e.ref ?? "", e.recordedBy, e.recordedAt, e.note ?? ""])
        }
        return "history of parcel \(parcelID) (\(events.count) event\(events.count == 1 ? "" : "s"))\n" + lineageText + "\n" + t.render()
    }

    public func csv() -> String {
        var out = CSV.line(["date", "event", "from_state", "to_state", "pbf_before", "pbf_after", "rule", "ref", "by", "recorded_at", "note"])
        for e in events {
            out += CSV.line([e.effectiveDate.description, e.kind.rawValue, e.fromState?.rawValue ?? "", e.toState?.rawValue ?? "",
                             e.pbfBefore.map(String.init) ?? "", e.pbfAfter.map(String.init) ?? "", e.ruleID ?? "", e.ref ?? "",
                             e.recordedBy, e.recordedAt, e.note ?? ""])
        }
        return out
    }

    public func json() -> String {
        var out = "{\"id\":"
        JSONValue.writeString(parcelID, to: &out)
        out += ",\"parents\":" + JSONValue.array(parents.map { .string($0) }).jsonText
        out += ",\"children\":" + JSONValue.array(children.map { .string($0) }).jsonText
        out += ",\"events\":["
        for (i, e) in events.enumerated() {
            if i > 0 { out += "," }
            var o = JSONObject()
            func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
            o.append("event_id", .number(Double(e.eventID)))
            o.append("date", .string(e.effectiveDate.description))
            o.append("kind", .string(e.kind.rawValue))
            o.append("from_state", text(e.fromState?.rawValue))
            o.append("to_state", text(e.toState?.rawValue))
            o.append("pbf_before", e.pbfBefore.map { .bool($0) } ?? .null)
            o.append("pbf_after", e.pbfAfter.map { .bool($0) } ?? .null)
            o.append("rule", text(e.ruleID))
            o.append("ref", text(e.ref))
            o.append("by", .string(e.recordedBy))
            o.append("recorded_at", .string(e.recordedAt))
            o.append("note", text(e.note))
            out += "\n" + JSONValue.object(o).jsonText
        }
        return out + "]}\n"
    }
}

