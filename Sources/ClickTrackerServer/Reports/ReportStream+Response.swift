import Hummingbird

extension ReportStream {
    /// The report as an HTTP response, streamed: a download (`attachment`) with a file name, or
    /// inline (the JSON API).
    func response(_ format: ReportFormat, download fileName: String?) -> Response {
        var headers: HTTPFields = [.contentType: format.contentType, .cacheControl: "no-store"]
        if let fileName { headers[.contentDisposition] = "attachment; filename=\"\(fileName).\(format.rawValue)\"" }
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                var buffer = ""
                try await write(format) { text in
                    buffer += text
                    if buffer.utf8.count >= 64 * 1024 {
                        try await writer.write(ByteBuffer(string: buffer))
                        buffer = ""
                    }
                }
                try await writer.write(ByteBuffer(string: buffer))
                try await writer.finish(nil)
            }
        )
    }
}
