import Hummingbird

/// What a form just did, said on the page it leads to: a change redirects with `?done=…`, and
/// the page shows the sentence for that key (never text from the URL itself).
enum DoneNotice: String {
    case trackingEnabled = "tracking-enabled"
    case trackingDisabled = "tracking-disabled"
    case policySaved = "policy-saved"
    case groupCreated = "group-created"
    case groupSaved = "group-saved"
    case groupDeleted = "group-deleted"
    case requestCreated = "request-created"
    case requestDeleted = "request-deleted"
    case documentsAdded = "documents-added"
    case documentRemoved = "document-removed"
    case tokenRevoked = "token-revoked"
    case pathIgnored = "path-ignored"
    case pathNoLongerIgnored = "path-no-longer-ignored"
    case webhookDeleted = "webhook-deleted"
    case deliveryQueued = "delivery-queued"
    case remindersSaved = "reminders-saved"
    case reminderQueued = "reminder-queued"
    case receiptIssued = "receipt-issued"

    var text: String {
        switch self {
        case .trackingEnabled: "Tracking is enabled: reads of pages here are recorded from now on."
        case .trackingDisabled: "Tracking is disabled: nothing more is recorded here. What was recorded is kept."
        case .policySaved: "Saved: documents here are judged by the new reading time from now on, including earlier reads."
        case .groupCreated: "The group was created."
        case .groupSaved: "Saved: the group has the members below."
        case .groupDeleted: "The group was deleted."
        case .requestCreated: "The reading request was created."
        case .requestDeleted: "The reading request was deleted."
        case .documentsAdded: "The documents were added."
        case .documentRemoved: "The document was removed from this request."
        case .tokenRevoked: "The token was revoked: programs using it are refused from now on."
        case .pathIgnored: "Saved: pages there are never tracked from now on. What was recorded is kept."
        case .pathNoLongerIgnored: "Saved: pages there are tracked again where a tracked section includes them."
        case .webhookDeleted: "The endpoint was deleted: it is sent nothing more."
        case .deliveryQueued: "The message will be sent again within a few seconds."
        case .remindersSaved: "Saved: reminders go out at the times below."
        case .reminderQueued: "The reminder is on its way to everyone who has not read everything; what became of each mail is listed below."
        case .receiptIssued: "The signed receipt was issued: download it below."
        }
    }

    /// The sentence for the request's `done` parameter, if it names one.
    static func text(_ request: Request) -> String? {
        request.uri.queryParameters["done"].flatMap { DoneNotice(rawValue: String($0)) }?.text
    }

    /// `url` with `done=` this notice added (before its fragment).
    func url(_ url: String) -> String {
        let parts = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let fragment = parts.count > 1 ? "#\(parts[1])" : ""
        return "\(path)\(path.contains("?") ? "&" : "?")done=\(rawValue)\(fragment)"
    }
}
