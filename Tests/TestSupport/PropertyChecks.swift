import PropertyBased
import Testing

// swift-property-based runs a property's body under `try?` (IssueCounting.swift): an error the
// body throws ends that input's run and is recorded nowhere, so a property whose body throws
// passes. These run `propertyCheck` with the body's errors recorded as issues (the input and
// its seed reported as for any failing expectation).

/// `propertyCheck` over one generator, errors the body throws recorded as issues.
public func checkProperty<In, Out>(
    count: Int, input: Generator<Out, some Sequence<In>>,
    isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation,
    perform body: (Out) async throws -> Void
) async {
    await propertyCheck(count: count, input: input, perform: { value in
        do { try await body(value) } catch { Issue.record(error, sourceLocation: sourceLocation) }
    }, isolation: isolation, sourceLocation: sourceLocation)
}

/// `propertyCheck` over two generators, errors the body throws recorded as issues.
public func checkProperty<InA, InB, OutA, OutB>(
    count: Int, input a: Generator<OutA, some Sequence<InA>>, _ b: Generator<OutB, some Sequence<InB>>,
    isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation,
    perform body: (OutA, OutB) async throws -> Void
) async {
    await checkProperty(count: count, input: zip(a, b), isolation: isolation, sourceLocation: sourceLocation) { try await body($0.0, $0.1) }
}

/// `propertyCheck` over four generators, errors the body throws recorded as issues.
public func checkProperty<InA, InB, InC, InD, OutA, OutB, OutC, OutD>(
    count: Int, input a: Generator<OutA, some Sequence<InA>>, _ b: Generator<OutB, some Sequence<InB>>,
    _ c: Generator<OutC, some Sequence<InC>>, _ d: Generator<OutD, some Sequence<InD>>,
    isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation,
    perform body: (OutA, OutB, OutC, OutD) async throws -> Void
) async {
    await checkProperty(count: count, input: zip(a, b, c, d), isolation: isolation, sourceLocation: sourceLocation) {
        try await body($0.0, $0.1, $0.2, $0.3)
    }
}

/// `propertyCheck` over five generators, errors the body throws recorded as issues.
public func checkProperty<InA, InB, InC, InD, InE, OutA, OutB, OutC, OutD, OutE>(
    count: Int, input a: Generator<OutA, some Sequence<InA>>, _ b: Generator<OutB, some Sequence<InB>>,
    _ c: Generator<OutC, some Sequence<InC>>, _ d: Generator<OutD, some Sequence<InD>>, _ e: Generator<OutE, some Sequence<InE>>,
    isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation,
    perform body: (OutA, OutB, OutC, OutD, OutE) async throws -> Void
) async {
    await checkProperty(count: count, input: zip(a, b, c, d, e), isolation: isolation, sourceLocation: sourceLocation) {
        try await body($0.0, $0.1, $0.2, $0.3, $0.4)
    }
}
