import ClickTracker
import Foundation
import Testing

extension StorageConformance {
    /// The `data` of a delivery's JSON payload, and its `type`.
    static func messageData(_ delivery: WebhookDelivery) throws -> (type: String, data: [String: Any]) {
        let object = try JSONSerialization.jsonObject(with: delivery.payload) as? [String: Any] ?? [:]
        return (object["type"] as? String ?? "", object["data"] as? [String: Any] ?? [:])
    }

    static func webhooks(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        // Without an endpoint, nothing goes to the outbox.
        let first = event("alice", "/papers/a.html", at: 0, title: "A")
        try await store.record([first])
        #expect(try await store.webhookDeliveries(limit: 10, offset: 0).total == 0)

        let made = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try await store.addWebhook(
            WebhookEndpoint(
                url: "http://127.0.0.1:9/hook",
                events: [.readRecorded, .requestCompleted],
                sealedSecret: "sealed",
                createdAt: made,
                createdBy: "admin"
            )
        )
        let endpoints = try await second.webhooks()
        #expect(endpoints.map(\.id) == [id] && endpoints.first?.events == [.readRecorded, .requestCompleted])
        #expect(endpoints.first?.sealedSecret == "sealed" && endpoints.first?.createdBy == "admin")

        // Opened, read (the reading time spent), acknowledged: one message each, in the batch's
        // transaction. Bob's view is a reading of its own.
        let view = event("alice", "/papers/b.html", at: 0, title: "B")
        try await store.record([view, event("bob", "/papers/b.html", at: 1)])
        try await store.record([report(view, at: 700, active: 650_000, scroll: 100, end: true)])
        try await second.record([report(view, .acknowledgement, at: 710)])
        let log = try await store.webhookDeliveries(limit: 10, offset: 0)
        #expect(log.total == 4)
        let messages = try log.deliveries.reversed().map { delivery -> String in
            let (type, data) = try messageData(delivery)
            let document = data["document"] as? [String: Any]
            #expect(type == "read.recorded" && delivery.type == .readRecorded && delivery.state == .pending && delivery.attempts == 0)
            #expect(document?["path"] as? String == "/papers/b.html" && document?["title"] as? String == "B")
            #expect((data["at"] as? String)?.hasSuffix("Z") == true)
            #expect(delivery.messageID.hasPrefix("msg_") && delivery.url == "http://127.0.0.1:9/hook")
            return "\(data["member"] as? String ?? "") \(data["stage"] as? String ?? "")"
        }
        #expect(Set(messages.prefix(2)) == ["alice opened", "bob opened"])
        #expect(Array(messages.suffix(2)) == ["alice read", "alice acknowledged"])
        #expect(Set(log.deliveries.map(\.messageID)).count == 4)

        // Two instances claiming at once never get the same delivery.
        let now = Date()
        async let claimedByOne = store.claimWebhookDeliveries(owner: "one", now: now, leaseUntil: now + 60, limit: 3)
        async let claimedByTwo = second.claimWebhookDeliveries(owner: "two", now: now, leaseUntil: now + 60, limit: 3)
        let (one, two) = try await (claimedByOne, claimedByTwo)
        #expect(one.count + two.count == 4)
        #expect(Set(one.map(\.delivery.id)).isDisjoint(with: two.map(\.delivery.id)))
        #expect((one + two).allSatisfy { $0.sealedSecret == "sealed" && $0.delivery.attempts == 1 })
        #expect(try await store.claimWebhookDeliveries(owner: "three", now: now, leaseUntil: now + 60, limit: 10).isEmpty)

        let all = (one.map { ($0, "one") } + two.map { ($0, "two") }).sorted { $0.0.delivery.id < $1.0.delivery.id }
        let (delivered, retried, givenUp, abandoned) = (all[0], all[1], all[2], all[3])
        // Only the owner of a claim records its end.
        try await store.finishWebhookDelivery(id: delivered.0.delivery.id, owner: "nobody", outcome: .delivered(status: 200, at: now))
        #expect(try await store.webhookDelivery(id: delivered.0.delivery.id)?.state == .pending)
        try await store.finishWebhookDelivery(id: delivered.0.delivery.id, owner: delivered.1, outcome: .delivered(status: 204, at: now))
        try await second.finishWebhookDelivery(
            id: retried.0.delivery.id,
            owner: retried.1,
            outcome: .failed(status: 503, error: "the endpoint answered 503", at: now, retryAt: now + 30)
        )
        try await store.finishWebhookDelivery(
            id: givenUp.0.delivery.id,
            owner: givenUp.1,
            outcome: .failed(status: nil, error: "could not connect", at: now, retryAt: nil)
        )
        let done = try #require(try await second.webhookDelivery(id: delivered.0.delivery.id))
        #expect(done.state == .delivered && done.lastStatus == 204 && done.deliveredAt != nil)
        let waiting = try #require(try await second.webhookDelivery(id: retried.0.delivery.id))
        #expect(waiting.state == .pending && waiting.lastStatus == 503 && waiting.lastError == "the endpoint answered 503")
        #expect(abs(waiting.nextAttemptAt.timeIntervalSince(now + 30)) < 0.01)
        #expect(try await second.webhookDelivery(id: givenUp.0.delivery.id)?.state == .failed)

        // The abandoned claim runs out and another instance takes it; the retry waits its turn.
        let later = now + 61
        let reclaimed = try await second.claimWebhookDeliveries(owner: "two", now: later, leaseUntil: later + 60, limit: 10)
        #expect(reclaimed.map(\.delivery.id) == [abandoned.0.delivery.id, retried.0.delivery.id].sorted())
        #expect(reclaimed.first { $0.delivery.id == abandoned.0.delivery.id }?.delivery.attempts == 2)
        // "Send again": not while it is being sent; a given-up one is pending again for a day.
        #expect(try await store.resendWebhookDelivery(id: abandoned.0.delivery.id, now: later) == false)
        #expect(try await store.resendWebhookDelivery(id: givenUp.0.delivery.id, now: later))
        let again = try #require(try await store.webhookDelivery(id: givenUp.0.delivery.id))
        #expect(again.state == .pending && abs(again.giveUpAt.timeIntervalSince(later + WebhookMessage.retryWindow)) < 0.01)
        #expect(try await store.nextWebhookDelivery().map { $0 <= later } == true)

        // Request events go to the outbox in the transaction that froze or completed the request,
        // once, and only to endpoints that asked for them.
        let request = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board",
                path: try SectionPath("/papers"),
                group: nil,
                members: ["alice"],
                deadline: now,
                timeZone: "UTC",
                createdBy: "admin"
            )
        )
        let passed = try WebhookMessage(type: .requestDeadlinePassed, data: ["request": ["id": request]], timestamp: now)
        let completed = try WebhookMessage(
            type: .requestCompleted,
            data: ["request": ["id": request], "readers": [["member": "carol"]]],
            timestamp: now
        )
        #expect(try await store.freezeRequest(id: request, at: now, announcing: passed))
        #expect(try await second.completeRequest(id: request, at: now, announcing: completed))
        #expect(try await store.completeRequest(id: request, at: now, announcing: completed) == false)
        #expect(try await second.readingRequest(id: request)?.completedAt != nil)
        let requestMessages = try await store.webhookDeliveries(limit: 10, offset: 0).deliveries.filter { $0.type != .readRecorded }
        #expect(requestMessages.map(\.type) == [.requestCompleted])
        #expect(try requestMessages.first.map { try messageData($0).data["request"] as? [String: Any] }??["id"] as? Int == Int(request))
        // New documents: not completed any more.
        try await store.setRequestDocuments(["/papers/c.html"], requestID: request)
        #expect(try await second.readingRequest(id: request)?.completedAt == nil)

        // Purging a member removes the messages about their reading; deleting the endpoint, all.
        try await store.purge(member: "bob")
        let left = try await store.webhookDeliveries(limit: 10, offset: 0)
        #expect(left.total == 4 && left.deliveries.allSatisfy { (try? messageData($0).data["member"] as? String) != "bob" })
        let finished = left.deliveries.filter { $0.state != .pending }.count
        #expect(try await store.purgeWebhookDeliveries(before: now + 1) == finished)
        // A request's message that lists a purged member goes too.
        let before = try await store.webhookDeliveries(limit: 10, offset: 0).total
        try await store.purge(member: "carol")
        #expect(try await store.webhookDeliveries(limit: 10, offset: 0).total == before - 1)
        #expect(try await second.deleteWebhook(id: id))
        #expect(try await store.deleteWebhook(id: id) == false)
        #expect(try await store.webhookDeliveries(limit: 10, offset: 0).total == 0)
        #expect(try await store.nextWebhookDelivery() == nil)
    }

    static func reminders(_ store: any ClickStorage, _ second: any ClickStorage) async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let deadline = now + 24 * 3600
        let request = try await store.addReadingRequest(
            ReadingRequest(
                title: "Board",
                path: try SectionPath("/papers"),
                group: nil,
                members: ["alice"],
                deadline: deadline,
                timeZone: "UTC",
                createdBy: "admin"
            )
        )
        #expect(try await store.setReminderSchedule(requestID: 999_999, hours: [2], at: now, by: "admin") == false)
        #expect(try await store.setReminderSchedule(requestID: request, hours: [48, 2], at: now, by: "admin"))
        // 48 hours before was before the request was made: skipped, never sent.
        let set = try await second.reminders(requestID: request)
        #expect(set.map(\.name) == ["48h", "2h"] && set.map(\.state) == [.skipped, .pending])
        #expect(set.last?.dueAt == deadline - 2 * 3600 && set.last?.setBy == "admin" && set.last?.hoursBefore == 2)

        #expect(try await store.dueReminders(at: deadline - 3 * 3600).isEmpty)
        let due = deadline - 3600
        #expect(try await store.dueReminders(at: due).map(\.name) == ["2h"])
        // One instance sends it; another takes over only when its claim has run out.
        #expect(try await store.claimReminder(requestID: request, name: "2h", now: due, leaseUntil: due + 600))
        #expect(try await second.claimReminder(requestID: request, name: "2h", now: due, leaseUntil: due + 600) == false)
        #expect(try await second.dueReminders(at: due).isEmpty)
        #expect(try await second.dueReminders(at: due + 601).map(\.name) == ["2h"])
        #expect(try await second.claimReminder(requestID: request, name: "2h", now: due + 601, leaseUntil: due + 1200))

        // Each reader's mail is claimed once, whichever instance asks.
        let mail = ReminderMail(requestID: request, reminder: "2h", member: "alice", email: "alice@example.org", state: .sending, at: due)
        #expect(try await store.claimReminderMail(mail))
        #expect(try await second.claimReminderMail(mail) == false)
        var sent = mail
        sent.state = .sent
        sent.at = due + 1
        try await second.finishReminderMail(sent)
        #expect(
            try await store.claimReminderMail(
                ReminderMail(
                    requestID: request,
                    reminder: "2h",
                    member: "bob",
                    email: nil,
                    state: .noAddress,
                    detail: "no email address is known",
                    at: due
                )
            )
        )
        let mails = try await store.reminderMails(requestID: request)
        #expect(mails.map(\.member) == ["alice", "bob"] && mails.map(\.state) == [.sent, .noAddress])
        #expect(mails.last?.detail == "no email address is known" && mails.first?.email == "alice@example.org")
        try await store.finishReminder(requestID: request, name: "2h", state: .sent, at: due + 2)
        #expect(try await second.reminders(requestID: request).last?.state == .sent)
        #expect(try await store.dueReminders(at: deadline).isEmpty)

        // A new schedule keeps what was sent or skipped, and replaces what waits.
        #expect(try await store.setReminderSchedule(requestID: request, hours: [12], at: now, by: "chair"))
        #expect(try await store.setReminderSchedule(requestID: request, hours: [6], at: now, by: "chair"))
        #expect(try await second.reminders(requestID: request).map(\.name) == ["48h", "6h", "2h"])

        // "Remind now" posted twice is one reminder.
        let remindNow = Reminder(requestID: request, name: "now-0123", dueAt: now, setAt: now, setBy: "chair")
        #expect(try await store.addReminder(remindNow))
        #expect(try await second.addReminder(remindNow) == false)
        #expect(try await store.addReminder(Reminder(requestID: 999_999, name: "now-1", dueAt: now, setAt: now, setBy: "chair")) == false)
        #expect(try await store.dueReminders(at: now).map(\.name) == ["now-0123"])

        // Purging a member removes their mails; deleting the request, everything.
        try await store.purge(member: "alice")
        #expect(try await second.reminderMails(requestID: request).map(\.member) == ["bob"])
        try await store.deleteReadingRequest(id: request)
        #expect(try await second.reminders(requestID: request).isEmpty)
        #expect(try await second.reminderMails(requestID: request).isEmpty)
    }
}
