import Crypto

/// The browser side of ClickTracker: plain JavaScript, no dependencies.
///
/// It runs from the injected `<script>` tag, waits until the page has loaded and is visible, then
/// sends one `view` beacon carrying the tag's token (`navigator.sendBeacon`, with `fetch`
/// keepalive as the fallback). It never sends anything for a page that did not finish loading.
public enum TrackingScript {
    /// The script's source.
    public static let source = #"""
        (function () {
          "use strict";
          var tag = document.currentScript;
          if (!tag) { return; }
          var token = tag.getAttribute("data-token");
          var endpoint = tag.getAttribute("data-endpoint");
          if (!token || !endpoint) { return; }
          var sent = false;

          function post(body) {
            try {
              if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) { return; }
            } catch (e) { /* fall through to fetch */ }
            if (window.fetch) {
              fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "same-origin" })
                .catch(function () { sent = false; });
            }
          }

          function sendView() {
            if (sent || document.visibilityState !== "visible") { return; }
            sent = true;
            var body = new URLSearchParams();
            body.set("event", "view");
            body.set("token", token);
            post(body);
          }

          function loaded() {
            sendView();
            document.addEventListener("visibilitychange", sendView);
          }

          if (document.readyState === "complete") { loaded(); }
          else { window.addEventListener("load", loaded); }
        })();

        """#

    /// A short hash of the source, used in the script's URL so browsers may cache it forever.
    public static let version: String = {
        let digest = SHA256.hash(data: Array(source.utf8))
        return digest.prefix(6).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }()
}
