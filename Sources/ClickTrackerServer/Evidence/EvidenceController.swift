import ClickTracker
import Foundation
import HTTPTypes
import Hummingbird

/// The evidence log's public face, for anyone to check receipts and checkpoints with: the
/// server's public key (PEM) and the latest signed checkpoint (JSON). Neither needs signing in.
struct EvidenceController: Sendable {
    let log: any EvidenceLog
    let key: EvidencePublicKey
    let prefix: String

    func addRoutes(to router: Router<ServerRequestContext>) {
        router.get(RouterPath("\(prefix)/evidence/key")) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-pem-file"
            headers[.contentDisposition] = "inline; filename=\"clicktracker-\(key.id).pem\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: key.pem)))
        }
        router.get(RouterPath("\(prefix)/evidence/checkpoint")) { _, _ in
            guard let checkpoint = try await log.latestEvidenceCheckpoint() else {
                return Response(
                    status: .notFound,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "Nothing has been recorded yet, so no checkpoint has been signed.\n"))
                )
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var body = try encoder.encode(checkpoint)
            body.append(contentsOf: Array("\n".utf8))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
