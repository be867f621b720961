import Crypto

/// The browser side of ClickTracker: plain JavaScript, no dependencies, at most 1,000 bytes
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
    public static let source = #"""
        (function(d,w){
        var t=d.currentScript,o=t.dataset,k=o.token,p=o.endpoint;
        var n=Date.now,idle=(o.idle||30)*1e3,input=0,tick=n(),wait,path=location.pathname,e=t.previousElementSibling,b=e&&e.querySelector("button"),
        bot=navigator.webdriver|/Headless/.test(navigator.userAgent),q,act,sent,sc,end,st;
        function reset(){q=act=sc=end=st=wait=0;sent=-1}
        function send(v,x){return fetch(p,{method:"POST",keepalive:1,body:new URLSearchParams({event:v,token:k,q:++q,a:act,s:sc,r:end,w:bot,path:x||""})})}
        function view(){var c=k;if(!st&&!d.hidden&&performance.timing.loadEventEnd&&n()>wait){st=1;
        send("view").then(function(r){if(c==k)st=r.ok?2:r.status>499?0:3},function(){st=0}).then(function(){wait=n()+1e4})}}
        function report(v){if(st==2&&(act>sent||v!="report")){sent=act;if(v=="end")st=3;send(v).catch(function(){sent=-1})}}
        function measure(){var m=n(),r=e&&e.getBoundingClientRect();
        if(!d.hidden&&d.hasFocus()&&m-input<idle){act+=Math.min(m-tick,2e3);
        sc=Math.max(sc,Math.min(100,(w.scrollY+w.innerHeight)*100/d.documentElement.scrollHeight|0));
        if(r&&r.width&&r.top<=w.innerHeight)end=1}
        tick=m;view();
        if(location.pathname!=path){report("end");st=3;path=location.pathname;
        send("next",path).then(function(r){return r.status==200&&r.text()}).then(function(x){if(x){k=x;reset();view()}})}}
        reset();
        "scroll keydown pointerdown pointermove".split(" ").forEach(function(x){w.addEventListener(x,function(){input=n()},1)});
        d.addEventListener("visibilitychange",function(){d.hidden&&report("report")});
        w.addEventListener("pagehide",function(x){report(x.persisted?"report":"end")});
        setInterval(measure,1e3);setInterval(report,(o.beat||15)*1e3,"report");
        if(b){b.hidden=0;b.onclick=function(){
        send("ack").then(function(r){b.disabled=r.ok;return r.text()}).then(function(x){b.nextSibling.textContent=x})}}
        measure()})(document,window);
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
