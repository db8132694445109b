import Crypto
import Foundation
import Geometry
import GRDB

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
}

extension ParcelStore {
    /// Creates a token for `owner` and returns it with its record. The token is shown once:
    /// the store keeps its SHA-256 only (tokens are 256 random bits, so a fast hash suffices).
    public func createToken(owner: String, role: AccessRole) throws(LandtrackError) -> (token: String, record: AccessToken) {
        let name = owner.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else {
            throw .invalidArgument("the token's owner must be a name of 1 to 100 characters (it is recorded with every change made with the token)")
        }
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let token = "lt_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let createdAt = ISO8601DateFormatter().string(from: Date())
        let id: Int64 = try write { db in
            try db.execute(sql: "INSERT INTO landtrack_tokens (owner, role, token_sha256, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, role.rawValue, Self.tokenHash(token), createdAt])
            return db.lastInsertedRowID
        }
        return (token, AccessToken(id: id, owner: name, role: role, createdAt: createdAt, revokedAt: nil))
    }

    /// Every token record, revoked ones included.
    public func tokens() throws(LandtrackError) -> [AccessToken] {
        try read { db in
            // A store opened read-only before its v2 migration has no token table: no tokens.
            guard try db.tableExists("landtrack_tokens") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM landtrack_tokens ORDER BY token_id").map(Self.tokenRecord)
        }
    }

    /// Revokes token `id`; a revoked token authenticates no more.
    public func revokeToken(id: Int64) throws(LandtrackError) {
        let changed: Int = try write { db in
            try db.execute(sql: "UPDATE landtrack_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                           arguments: [ISO8601DateFormatter().string(from: Date()), id])
            return db.changesCount
        }
        guard changed == 1 else { throw .invalidArgument("no active token \(id) in the store (landtrack token list shows them)") }
    }

    /// The record of an active token, or nil for an unknown or revoked one.
    public func authenticate(token: String) throws(LandtrackError) -> AccessToken? {
        guard token.hasPrefix("lt_"), token.count < 200 else { return nil }
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM landtrack_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
                             arguments: [Self.tokenHash(token)]).map(Self.tokenRecord)
        }
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private static func tokenRecord(_ row: Row) -> AccessToken {
        let role: String = row["role"]
        return AccessToken(id: row["token_id"], owner: row["owner"], role: AccessRole(rawValue: role) ?? .viewer,
                           createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}
