import ClickTracker
import ClickTrackerSQLite
import ClickTrackerTestSupport
import Foundation
import Testing

@testable import ClickTrackerServer

/// Each reader's progress is kept between reports and summed up again when it may have moved.
@Suite("Reading request progress kept between reports")
struct RequestProgressTests {
    @Test("A document that moves away from the path a request names stops counting there, though no reading of the path changed")
    func movedDocument() async throws {
        let directory = try TemporaryDirectory("request-progress")
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.file("tracking.sqlite"))
        try await store.setTracked(try SectionPath("/p"), true)
        try await store.setPolicy(ReadingPolicy(maximumSeconds: 20, minimumSeconds: 5), for: try SectionPath("/p"))
        let view = StorageConformance.event("alice", "/p/x", at: 10, key: "k", render: "r1")
        try await store.record([view, StorageConformance.report(view, at: 40, active: 25_000)])
        let id = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board",
                path: try SectionPath("/p"),
                documents: ["/p/x"],
                group: nil,
                members: ["alice"],
                deadline: Date().addingTimeInterval(86_400),
                timeZone: "UTC",
                createdBy: "chair"
            )
        )
        let request = try #require(try await store.readingRequest(id: id))
        #expect(try await RequestReport.make(request, storage: store).grid.counts.read == 1)
        // The document keeps its key and moves to /p/y: /p/x names nothing now.
        try await store.record([StorageConformance.event("bob", "/p/y", at: 50, key: "k", render: "r2")])
        let moved = try await RequestReport.make(request, storage: store).grid
        #expect(moved.counts.read == 0 && moved.counts.notOpened == 1)
        #expect(try await store.requestProgress(requestID: id)?.readers["alice"]?.stage == .notOpened)
        try await store.close()
    }
}
