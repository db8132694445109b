import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request that is not valid HTTP/1.1 before it reaches the router (an unknown
/// method, a request line or headers over the limits, a bad version) with the same JSON error
/// as every other answer, then closes the connection. Without it Hummingbird answers such a
/// request with an empty 400. A parse error inside a request's body (a bad chunk-size line)
/// is left to the handler reading the body: `APIError(any:)` maps it to a JSON 400.
final class HTTPParseErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests whose head was read and whose response has not ended: a parse error then
    /// belongs to that request's handler.
    private var requestsOpen = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { requestsOpen += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestsOpen -= 1 }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, requestsOpen == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(string: APIError(httpParseError: parseError).jsonBody)
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

extension APIError {
    /// A request that is not HTTP/1.1 as RFC 9112 writes it, in words a client can act on.
    init(httpParseError error: HTTPParserError) {
        let what: String = switch error {
        case .invalidMethod: "the method is not an HTTP method this server knows"
        case .headerOverflow: "the request line or the headers are larger than the server reads (80 KB) or more than 1,000"
        case .invalidVersion: "the HTTP version is not HTTP/1.0 or HTTP/1.1"
        case .invalidChunkSize: "a chunk-size line of the chunked body is not a hexadecimal number"
        case .invalidEOFState: "the connection closed before the request was complete (a body shorter than its Content-Length?)"
        case .invalidContentLength, .unexpectedContentLength: "the Content-Length header is not valid"
        case .invalidURL: "the request target is not a valid URL"
        default: "the request is not valid HTTP/1.1 (\(error))"
        }
        self.init(status: .badRequest, code: "bad-http", reason: what)
    }
}
