import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Geometry
import TestSupport

/// One `<case>` of a GEOS xmltester file.
struct XMLCase: Sendable {
    struct Op: Sendable {
        var name: String
        var args: [String: String]
        var expected: String
    }
    var file: String
    var description: String
    var a: String?
    var b: String?
    var ops: [Op] = []
    /// The file's fixed precision model scale (grid size 1/scale), nil for FLOATING.
    var scale: Double?
}

/// Reads GEOS xmltester files (`<run><case><a/><b/><test><op …/></test></case></run>`).
final class XMLCaseReader: NSObject, XMLParserDelegate {
    private var cases: [XMLCase] = []
    private var current: XMLCase?
    private var text = ""
    private var op: XMLCase.Op?
    private let file: String
    private var scale: Double?

    init(file: String) { self.file = file }

    static func read(_ relative: String) throws -> [XMLCase] {
        let url = SharedData.url("geos-xmltests-3.11.1/\(relative)")
        let parser = XMLParser(contentsOf: url)!
        let reader = XMLCaseReader(file: relative)
        parser.delegate = reader
        guard parser.parse() else { throw LandtrackError.io(path: url.path, message: "XML parse failed") }
        return reader.cases
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        text = ""
        switch name {
        case "precisionModel": scale = attributes["scale"].flatMap(Double.init)
        case "case": current = XMLCase(file: file, description: "", scale: scale)
        case "op": op = XMLCase.Op(name: attributes["name"] ?? "", args: attributes, expected: "")
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch name {
        case "desc": current?.description = value
        case "a": current?.a = value
        case "b": current?.b = value
        case "op":
            if var o = op {
                o.expected = value
                current?.ops.append(o)
            }
            op = nil
        case "case":
            if let c = current { cases.append(c) }
            current = nil
        default: break
        }
        text = ""
    }
}

/// The GEOS 3.11.1 XML conformance cases run through the Swift API: validity, DE-9IM relate,
/// the named predicates, unary union and overlay.
@Suite("GEOS XML conformance (geos-xmltests-3.11.1)")
struct GEOSXMLConformanceTests {
    static let predicateFiles = [
        "general/TestValid.xml", "general/TestValid2.xml", "misc/TestIsValid.xml",
        "general/TestRelateAA.xml", "validate/TestRelateAA.xml", "general/TestRelatePA.xml",
    ]
    static let overlayFiles = ["general/TestUnaryUnion.xml", "general/TestOverlayAA.xml", "general/TestNGOverlayA.xml"]

    /// How many ops manifest.json counts in a file: every one must have been checked.
    private func manifestOpCount(_ file: String) throws -> Int {
        let data = try Data(contentsOf: SharedData.url("geos-xmltests-3.11.1/manifest.json"))
        let entries = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        let entry = try #require(entries.first { $0["file"] as? String == file })
        return (entry["ops"] as! [String: Int]).values.reduce(0, +)
    }

    private func read(_ ctx: GEOSContext, _ text: String) throws -> GEOSGeometryHandle {
        let isHex = !text.isEmpty && text.allSatisfy { $0.isHexDigit }
        return isHex ? try ctx.readHexWKB(text) : try ctx.readWKT(text)
    }

    private func operand(_ name: String?, _ a: GEOSGeometryHandle?, _ b: GEOSGeometryHandle?) -> GEOSGeometryHandle? {
        switch name?.uppercased() {
        case "A": a
        case "B": b
        default: nil
        }
    }

    @Test(SharedData.required, arguments: predicateFiles)
    func predicatesAndValidity(file: String) throws {
        let cases = try XMLCaseReader.read(file)
        #expect(!cases.isEmpty)
        var checked = 0
        for c in cases {
            let ctx = GEOSContext()
            let a = try c.a.map { try read(ctx, $0) }
            let b = try c.b.map { try read(ctx, $0) }
            for op in c.ops {
                let expected = op.expected.lowercased() == "true"
                let x = try #require(operand(op.args["arg1"], a, b), "\(file) \(c.description)")
                let actual: Bool
                switch op.name {
                case "isValid":
                    actual = try ctx.validity(x).isValid
                case "relate":
                    let y = try #require(operand(op.args["arg2"], a, b))
                    actual = try ctx.relate(x, y, pattern: try #require(op.args["arg3"]))
                default:
                    let predicate = try #require(GEOSContext.NamedPredicate(rawValue: op.name), "unknown op \(op.name)")
                    let y = try #require(operand(op.args["arg2"], a, b))
                    actual = try ctx.evaluate(predicate, x, y)
                }
                #expect(actual == expected, "\(file) «\(c.description)» \(op.name) \(op.args["arg3"] ?? "")")
                checked += 1
            }
        }
        #expect(checked == (try manifestOpCount(file)))
    }

    /// Overlay results compared topologically (GEOSEquals_r), or by the area of their symmetric
    /// difference (below 1e-6 relative) where only the last digits of coordinates differ.
    @Test(SharedData.required, arguments: overlayFiles)
    func unaryUnionAndOverlay(file: String) throws {
        let cases = try XMLCaseReader.read(file)
        var checked = 0
        for c in cases {
            let ctx = GEOSContext()
            let a = try c.a.map { try read(ctx, $0) }
            let b = try c.b.map { try read(ctx, $0) }
            for op in c.ops {
                let x = try #require(operand(op.args["arg1"], a, b))
                let y = operand(op.args["arg2"], a, b)
                let name = op.name.replacingOccurrences(of: "NG", with: "").lowercased()
                let computed: GEOSGeometryHandle
                switch (name, y) {
                case ("union", nil): computed = try ctx.unaryUnion(x)
                case let ("union", y?): computed = try ctx.union(x, y)
                case let ("intersection", y?): computed = try ctx.intersection(x, y)
                case let ("difference", y?): computed = try ctx.difference(x, y)
                case let ("symdifference", y?): computed = try ctx.symmetricDifference(x, y)
                default:
                    Issue.record("unhandled op \(op.name) in \(file)")
                    continue
                }
                // As xmltester does: a fixed precision model puts results on its grid.
                let result = try c.scale.map { try ctx.setPrecision(computed, gridSize: 1 / $0) } ?? computed
                let expected = try read(ctx, op.expected)
                let bothEmpty = try ctx.isEmpty(result) && ctx.isEmpty(expected)
                let same = try bothEmpty || ctx.evaluate(.equalsTopo, result, expected)
                    || abs(ctx.planarArea(ctx.symmetricDifference(result, expected))) < 1e-6 * max(1, ctx.planarArea(expected))
                let got = try ctx.writeWKT(result)
                #expect(same, "\(file) «\(c.description)» \(op.name): got \(got)")
                checked += 1
            }
        }
        #expect(checked == (try manifestOpCount(file)))
    }
}
