import Foundation

/// The floating-point predicates `PolygonContact` and `SimplePolygon` decide with: each answers
/// only what its error bound certifies and says "not certain" (0, false) otherwise, so a caller
/// that treats "not certain" as "ask GEOS" is never wrong.
enum FilteredPredicates {
    struct XY: Equatable { var x, y: Double }

    /// The sign of the orientation of r against the line p→q (1 left, -1 right), or 0 when
    /// the floating-point determinant does not certify it (Shewchuk's first-stage bound is
    /// 3.3e-16 of the summed magnitudes; 1e-14 keeps a wide margin).
    @inline(__always)
    static func orientation(_ p: XY, _ q: XY, _ r: XY) -> Int {
        let left = (q.x - p.x) * (r.y - p.y), right = (q.y - p.y) * (r.x - p.x)
        let det = left - right, bound = 1e-14 * (abs(left) + abs(right))
        return det > bound ? 1 : det < -bound ? -1 : 0
    }

    /// Do s→e and s→f certainly leave s at more than a right angle (so the two segments meet
    /// only in s)?
    static func oppositeRays(_ s: XY, _ e: XY, _ f: XY) -> Bool {
        let a = (e.x - s.x) * (f.x - s.x), b = (e.y - s.y) * (f.y - s.y)
        return a + b < -1e-14 * (abs(a) + abs(b))
    }
}
