import Crypto

/// The browser side of ClickTracker: plain JavaScript (ES2020), no dependencies, at most 800 bytes
/// gzip-compressed (a test measures the served bytes).
///
/// It runs from the injected `<script>` tag, whose `data-token` is the render's signed token and
/// `data-endpoint` the beacon URL (`data-idle` and `data-beat` override the idle window, 30 s,
/// and the heartbeat, 15 s). Every beacon is a form `POST` (`fetch` with `keepalive`):
/// `event`, `token`, `q` (a report number that grows), `a` (active milliseconds so far), `s`
/// (furthest scroll, %), `r` (1 once the end was reached), `w` (1 when automation is detected)
/// and `path` (for `next`). The counters are cumulative, so a lost report is made good by the next.
/// - `view` once the page has fired its `load` event (`loadEventEnd`; a page left while still
///   loading never does) and is visible; sent again 10 s after a failure
///   (given up on a 4xx); an answer that arrives after the path changed is ignored.
/// - Active time grows each second only while the page is visible, the window focused and the
///   reader used scroll, keys or pointer within the idle window (a page nobody touches earns
///   nothing). Scroll depth and "end reached" (the element just before the tag, which the snippet
///   places at the end of the body, was on screen) are taken only then too.
/// - `report` when the page is hidden and every heartbeat while active time grew; `end` on
///   `pagehide`, after which the render takes no more reports (a page kept in the back/forward
///   cache sends a plain `report` instead, so it can go on when it is shown again).
/// - When the History API changes the path (a single-page app), `end` for the old view, then
///   `next` asks for a token for the new path and a new view starts.
/// - With an acknowledgement button in the snippet, it is shown; a click sends `ack` and puts
///   the server's answer in the status element beside it.
///
/// It runs only from the snippet's tag (it reads `document.currentScript`); every byte counts
/// against the budget, hence the terse style.
public enum TrackingScript {
    /// The script's source, exactly as it is served.
    ///
    /// Its one-letter names (picked for the smallest gzip output): `i` document, `u` the tag's
    /// dataset, `A` the end element, `m` the button, `h` the token, `l` the endpoint, `Y` `Date.now`,
    /// `P` the idle window, `c` the last input, `o` the last tick, `M` the time since it, `O` the
    /// path, `w` automation, `q` `a` `s` `r` the counters sent, `d` the view's state (0 or false:
    /// to send; 1 or true: sent or over; 2: recorded), `B` the active time last reported (-1: none),
    /// `n` no view before this time, `b` send, `p` view (`f` the token it was sent with), `t` report
    /// (`v` the event; none: `report`), `k` the one-second tick; `e` and `E` are scratch.
    public static let source = #"""
        ((i,M,e,{dataset:u,previousElementSibling:A}=i.currentScript,h=u.token,l=u.endpoint,Y=Date.now,P=(u.idle||30)*1e3,c=0,o=Y(),O=location.pathname,m=A?.querySelector("button"),w=navigator.webdriver|/Headless/.test(navigator.userAgent),q,a,s,r,d,B=-1,n=q=a=s=r=d=0,b=(event,path="")=>fetch(l,{method:"POST",keepalive:1,body:new URLSearchParams({event,token:h,q:++q,a,s,r,w,path})}),p=(f=h)=>!d&&!i.hidden&&performance.timing.loadEventEnd&&Y()>n&&(d=1,b("view").then(e=>f==h&&(d=e.ok?2:e.status<500),E=>d=0).then(E=>n=Y()+1e4)),t=v=>d>1&&(a>B||v)&&(B=a,v&&(d=1),b(v||"report").catch(E=>B=-1)),k=E=>{o+=M=Y()-o;!i.hidden&&i.hasFocus()&&o-c<P&&(a+=Math.min(M,2e3),s=Math.max(s,Math.min(100,(scrollY+innerHeight)*100/i.documentElement.scrollHeight|0)),r|=(e=A?.getBoundingClientRect())?.width&&e.top<=innerHeight);p();O!=(O=location.pathname)&&(t("end"),d=1,b("next",O).then(e=>e.status==200&&e.text()).then(e=>e&&p(h=e,B=-1,n=q=a=s=r=d=0)))})=>{m&&(m.hidden=0,m.onclick=E=>b("ack").then(e=>(m.disabled=e.ok,e.text())).then(e=>m.nextSibling.textContent=e));k();i.addEventListener("visibilitychange",E=>i.hidden&&t());addEventListener("pagehide",e=>t(!e.persisted&&"end"));"scroll keydown pointerdown pointermove".split(" ").map(e=>addEventListener(e,E=>c=Y(),1));setInterval(k,1e3);setInterval(t,(u.beat||15)*1e3)})(document)
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
