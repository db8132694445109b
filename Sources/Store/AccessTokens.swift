import Crypto
import Foundation
import Geometry
import Parcels

/// What a bearer token lets its owner do on `landtrack serve`.
public enum AccessRole: String, Sendable, CaseIterable, Codable {
    /// Reads layers and reports.
    case viewer
    /// Reads, and changes parcels: transitions, PBF, merges, splits, imports.
    case planner

    public func allows(_ needed: AccessRole) -> Bool { self == .planner || needed == .viewer }
}

/// A token as the store records it: never the token itself, only its SHA-256.
public struct AccessToken: Sendable, Hashable {
    public var id: Int64
    public var owner: String
    public var role: AccessRole
    public var createdAt: String
    public var revokedAt: String?

    public init(id: Int64, owner: String, role: AccessRole, createdAt: String, revokedAt: String?) {
        self.id = id
        self.owner = owner
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

extension ParcelStore {
    /// Creates a token for `owner` and returns it with its record. The token is shown once:
    /// the store keeps its SHA-256 only (tokens are 256 random bits, so a fast hash suffices).
    public func createToken(owner: String, role: AccessRole) throws(LandtrackError) -> (token: String, record: AccessToken) {
        let name = owner.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100, !ParcelID.hasControlCharacters(name) else {
            throw .invalidArgument("the token's owner must be a name of 1 to 100 characters without control characters (it is recorded with every change made with the token)")
        }
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let token = "lt_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let createdAt = ISO8601DateFormatter().string(from: Date())
        let id = try insertToken(owner: name, role: role, sha256: Self.tokenHash(token), createdAt: createdAt)
        return (token, AccessToken(id: id, owner: name, role: role, createdAt: createdAt, revokedAt: nil))
    }

    /// Every token record, revoked ones included.
    public func tokens() throws(LandtrackError) -> [AccessToken] { try tokenRecords() }

    /// Revokes token `id`; a revoked token authenticates no more.
    public func revokeToken(id: Int64) throws(LandtrackError) {
        guard try revokeToken(id: id, at: ISO8601DateFormatter().string(from: Date())) else {
            throw .invalidArgument("no active token \(id) in the store (landtrack token list shows them)")
        }
    }

    /// The record of an active token, or nil for an unknown or revoked one.
    public func authenticate(token: String) throws(LandtrackError) -> AccessToken? {
        guard token.hasPrefix("lt_"), token.count < 200 else { return nil }
        return try activeToken(sha256: Self.tokenHash(token))
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
