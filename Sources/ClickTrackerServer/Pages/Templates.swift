/// The server's page templates (Mustache; `{{value}}` is HTML-escaped; `{{{ }}}` only for the
/// request grid's rows, which `RequestPage` writes with every value escaped).
enum Templates {
    static let all: [String: String] = [
        "layout": layout,
        "login": login,
        "message": message,
        "confirm": confirm,
        "listing": listing,
        "overview": overview,
        "tracking": tracking,
        "storage": storage,
        "groups": groups,
        "group": group,
        "requests": requests,
        "request": request,
        "logout": logout,
        "reads": reads,
        "person": person,
        "sortable": sortable,
        "verdict": verdict,
        "chart": chart,
        "tokens": tokens,
        "audit": audit,
        "webhooks": webhooks,
    ]

    static let layout = """
        {{% CONTENT_TYPE: HTML_SCALARS}}<!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}ClickTracker{{/title}}</title>
        {{$head}}{{/head}}
        <style>
        body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
        header { background: #1d2330; color: #fff; padding: .5rem 1.5rem; display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; align-items: center; }
        header nav ul { display: flex; flex-wrap: wrap; gap: .2rem 1rem; list-style: none; margin: 0; padding: 0; }
        header a, header button { color: #fff; }
        header a[aria-current=page] { font-weight: 700; text-decoration-thickness: 3px; text-underline-offset: .3em; }
        header .who { margin-left: auto; }
        header form, form.inline { display: inline; }
        header button { background: none; border: 1px solid #fff8; border-radius: 4px; cursor: pointer; font: inherit; }
        main { max-width: 80rem; margin: 1.5rem auto; padding: 0 1.5rem; }
        @media (max-width: 40rem) { header, main { padding-left: .8rem; padding-right: .8rem; } header .who { margin-left: 0; } }
        h1, h2, code, li, p, label, button { overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        .table-box { overflow-x: auto; max-width: 100%; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #dde1e7; }
        th a { color: inherit; }
        .state { padding: .8rem 1rem; background: #fff; border-left: 4px solid #3a6ff7; margin-bottom: 1rem; }
        .error { border-left-color: #d33; }
        .done { border-left-color: #1d7a3a; }
        .warning { border-left-color: #d98b00; }
        .field-error { color: #b00; font-weight: 600; margin: .2rem 0; }
        [aria-invalid=true] { border: 2px solid #d33; }
        .pager { margin-top: .8rem; display: flex; gap: .3rem 1rem; flex-wrap: wrap; }
        label { display: block; margin: .6rem 0 .2rem; }
        input[type=text], input[type=password], input[type=number] { font: inherit; padding: .3rem; width: 16rem; max-width: 100%; box-sizing: border-box; }
        button.primary { font: inherit; padding: .35rem 1rem; margin-top: .8rem; cursor: pointer; }
        button.danger { color: #8a1111; }
        .tree li { list-style: none; }
        .actions { display: flex; gap: .3rem 1rem; align-items: end; flex-wrap: wrap; }
        .actions > * { min-width: 0; max-width: 100%; }
        input[name=dsn] { width: 28rem; }
        textarea { font: 14px/1.4 ui-monospace, monospace; width: 100%; min-height: 10rem; box-sizing: border-box; }
        .not-opened { color: #b00; } .opened { color: #a60; } .read, .acknowledged { color: #070; }
        .badge { display: inline-block; padding: 0 .55em; border: 1px solid; border-radius: 1em; font-size: .875rem; white-space: nowrap; }
        .badge.not-opened { color: #8a1111; background: #fbeaea; } .badge.opened { color: #7a4a00; background: #fdf3e1; }
        .badge.read { color: #0d5b17; background: #e6f4e6; } .badge.acknowledged { color: #fff; background: #1d7a3a; border-color: #1d7a3a; }
        p.counts { display: flex; gap: .3rem 1.5rem; flex-wrap: wrap; }
        .filters { display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; list-style: none; }
        .filters a[aria-current=true] { font-weight: 700; color: inherit; text-decoration: none; }
        #reads-chart { margin: 1rem 0; }
        #reads-chart svg { width: 100%; max-width: 480px; height: auto; }
        .legend { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; list-style: none; padding: 0; margin: .3rem 0; }
        .swatch { display: inline-block; width: 1.2rem; border-top: 3px solid; vertical-align: middle; margin-right: .4rem; }
        .swatch-0 { border-color: #3a6ff7; } .swatch-1 { border-color: #070; } .swatch-2 { border-color: #a60; }
        .line { fill: none; } .line-0 { stroke: #3a6ff7; } .line-1 { stroke: #070; } .line-2 { stroke: #a60; }
        .grid-box { overflow-x: auto; max-width: 100%; }
        table.grid td.cell { text-align: center; white-space: nowrap; }
        table.grid td.cell { position: relative; }
        table.grid td.cell:focus { outline: 2px solid #3a6ff7; }
        .evidence { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
        td.cell:hover .evidence, td.cell:focus .evidence { clip-path: none; width: 18rem; height: auto; white-space: normal; z-index: 2; left: 0; top: 100%;
          background: #fff; color: #222; border: 1px solid #99a; padding: .4rem; text-align: left; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
        table.grid th.document { max-width: 10rem; font-weight: normal; }
        .cell.not-opened { background: #fbeaea; } .cell.opened { background: #fdf3e1; } .cell.read, .cell.acknowledged { background: #e6f4e6; }
        progress { width: 20rem; max-width: 100%; }
        .muted { color: #5d6470; }
        dl.terms dt { font-weight: 600; } dl.terms dd { margin: 0 0 .4rem 1rem; }
        </style>
        </head>
        <body>
        <header>
          <strong>ClickTracker</strong>
          {{#user}}<nav aria-label="ClickTracker"><ul>{{#navigation}}<li><a href="{{url}}"{{#isCurrent}} aria-current="page"{{/isCurrent}}>{{label}}</a></li>{{/navigation}}</ul></nav>
          <span class="who">Signed in as {{name}}
            <form method="post" action="{{prefix}}/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button>Sign out</button></form>
          </span>{{/user}}
        </header>
        <main>
        {{#doneNotice}}<p class="state done" role="status" id="done">{{doneNotice}}</p>{{/doneNotice}}
        {{#doneWarning}}<p class="state warning" role="status" id="warning">{{doneWarning}}</p>{{/doneWarning}}
        {{$content}}{{/content}}
        </main>
        </body>
        </html>
        """

    static let login = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Sign in · ClickTracker{{/title}}
        {{$content}}
        <h1>Sign in</h1>
        {{#error}}<p class="state error">{{error}}</p>{{/error}}
        <form method="post" action="{{prefix}}/login">
          <input type="hidden" name="csrf" value="{{loginCSRF}}">
          <input type="hidden" name="next" value="{{next}}">
          <label for="username">User name</label>
          <input type="text" id="username" name="username" value="{{username}}" autocomplete="username" autofocus required>
          <label for="password">Password</label>
          <input type="password" id="password" name="password" autocomplete="current-password" required>
          <div><button class="primary" type="submit" id="sign-in">Sign in</button></div>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let logout = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Sign out · ClickTracker{{/title}}
        {{$content}}
        <h1>Sign out</h1>
        <p>You are signed in as {{signedInAs}}. Signing out ends this session on every ClickTracker instance.</p>
        <form method="post" action="{{prefix}}/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button class="primary" id="sign-out">Sign out</button></form>
        {{/content}}
        {{/layout}}
        """

    static let message = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}{{heading}} · ClickTracker{{/title}}
        {{$content}}
        <h1>{{heading}}</h1>
        <p class="state error">{{text}}</p>
        {{/content}}
        {{/layout}}
        """

    /// Asks before a change that cannot be undone; the form repeats the change with `confirmed=yes`.
    static let confirm = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}{{heading}} · ClickTracker{{/title}}
        {{$content}}
        <h1>{{heading}}</h1>
        <p class="state warning" id="confirm-text">{{text}}</p>
        <form method="post" action="{{action}}" class="actions">
          <input type="hidden" name="csrf" value="{{csrf}}">{{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/fields}}
          <input type="hidden" name="confirmed" value="yes">
          <button class="primary danger" id="confirm">{{button}}</button> <a href="{{cancelURL}}" id="cancel">Cancel</a>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let listing = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}{{folder}} · ClickTracker{{/title}}
        {{$content}}
        <h1>{{folder}}</h1>
        {{#user.isAdmin}}<p><a href="{{trackingURL}}">Tracking for this folder</a></p>{{/user.isAdmin}}
        <ul>
        {{#entries}}<li><a href="{{path}}">{{name}}{{#isFolder}}/{{/isFolder}}</a></li>{{/entries}}
        {{^entries}}<li class="muted">This folder is empty.</li>{{/entries}}
        </ul>
        {{/content}}
        {{/layout}}
        """

    static let overview = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Tracking · ClickTracker{{/title}}
        {{$content}}
        <h1>Tracking</h1>
        <h2>Tracked sections</h2>
        <ul>
        {{#sections}}<li><a href="{{trackingURL}}">{{path}}</a></li>{{/sections}}
        {{^sections}}<li class="muted">Nothing is tracked yet. Mark a section below.</li>{{/sections}}
        </ul>
        <h2>Open reading requests</h2>
        <ul id="open-requests">
        {{#requests}}<li><a href="{{url}}">{{title}}</a>: <strong>{{progress}}</strong> · {{left}} <span class="muted">{{path}}, deadline {{deadline}}</span></li>{{/requests}}
        {{^requests}}<li class="muted">No reading request has its deadline ahead. <a href="{{prefix}}/requests">Create one</a>.</li>{{/requests}}
        </ul>
        <form method="post" action="{{prefix}}/tracking" class="actions">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="enable">
          <div><label for="section-path">Track a section (a folder or document path, such as /papers)</label>
          <input type="text" id="section-path" name="path" placeholder="/papers" required></div>
          <button id="track-section">Enable tracking</button>
        </form>
        <h2 id="never-tracked">Never tracked</h2>
        <p class="muted">Pages here get no script, even inside a tracked section: a site's search page, its index pages.</p>
        <ul id="ignored-paths">
        {{#ignored}}<li>{{path}}{{#fromConfig}} <span class="muted">(set in the configuration file)</span>{{/fromConfig}}{{^fromConfig}}
          <form method="post" action="{{prefix}}/tracking" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="unignore"><input type="hidden" name="path" value="{{path}}"><button aria-label="Track {{path}} again">Remove</button></form>{{/fromConfig}}</li>{{/ignored}}
        {{^ignored}}<li class="muted">None: every page in a tracked section is tracked.</li>{{/ignored}}
        </ul>
        <form method="post" action="{{prefix}}/tracking" class="actions">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="ignore">
          <div><label for="ignore-path">Never track a path (a folder or page, such as /search)</label>
          <input type="text" id="ignore-path" name="path" placeholder="/search" required></div>
          <button id="ignore-path-button">Never track</button>
        </form>
        {{#hasSite}}
        <h2>Site</h2>
        <ul class="tree">
        {{#tree}}<li style="margin-left: {{indent}}rem"><a href="{{trackingURL}}">{{name}}{{#isFolder}}/{{/isFolder}}</a> <span class="muted">{{state}}</span></li>{{/tree}}
        </ul>
        {{/hasSite}}
        {{/content}}
        {{/layout}}
        """

    static let tracking = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Tracking {{path}} · ClickTracker{{/title}}
        {{$content}}
        <h1>Tracking: <a href="{{pathURL}}">{{path}}</a></h1>
        <div class="state" id="tracking-state">
          {{#untracked}}This item is not tracked.{{/untracked}}
          {{#inherited}}This item is tracked through <a href="{{sectionURL}}">{{section}}</a>.{{/inherited}}
          {{#marked}}Tracking is enabled for this item and everything below it.{{/marked}}
          {{#ignoredNote}}<p id="ignored-note"><strong>{{ignoredNote}}</strong></p>{{/ignoredNote}}
          {{#toggle}}
          <form method="post" action="{{prefix}}/tracking">
            <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="path" value="{{path}}">
            <input type="hidden" name="action" value="{{action}}"><button class="primary" id="{{action}}-tracking">{{label}}</button>
          </form>
          {{/toggle}}
        </div>
        {{#tracked}}
        {{#policy}}
        <h2>When a document counts as read</h2>
        {{#editable}}
        <form method="post" action="{{prefix}}/tracking" id="policy">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="path" value="{{path}}">
          <input type="hidden" name="action" value="policy">
          <p>Read: active time of at least the document's words ÷ words per minute (never more than the maximum), or the end of the document reached after the minimum active time.</p>
          {{#error}}<p class="field-error" id="policy-error" role="alert">{{error}}</p>{{/error}}
          <div class="actions">
            <div><label for="words-per-minute">Words per minute</label><input type="number" id="words-per-minute" name="words-per-minute" min="1" max="10000" value="{{words-per-minute}}" required></div>
            <div><label for="maximum-seconds">Maximum time needed (seconds)</label><input type="number" id="maximum-seconds" name="maximum-seconds" min="0" max="86400" value="{{maximum-seconds}}" required></div>
            <div><label for="minimum-seconds">Minimum time with the end reached (seconds)</label><input type="number" id="minimum-seconds" name="minimum-seconds" min="0" max="86400" value="{{minimum-seconds}}" required></div>
          </div>
          <label><input type="checkbox" name="requires-acknowledgement" value="yes" {{#requiresAcknowledgement}}checked{{/requiresAcknowledgement}}> Ask readers to confirm "I have read this document"</label>
          <label><input type="checkbox" name="requires-rereading" value="yes" {{#requiresRereading}}checked{{/requiresRereading}}> When a document changes, earlier reads no longer count</label>
          <button class="primary" id="save-policy">Save</button>
        </form>
        {{/editable}}
        {{^editable}}
        <p id="policy">Set on <a href="{{sectionURL}}">{{section}}</a>: {{words-per-minute}} words per minute, at most {{maximum-seconds}} s, or the end reached after {{minimum-seconds}} s{{#requiresAcknowledgement}}; readers are asked to confirm{{/requiresAcknowledgement}}{{#requiresRereading}}; changed documents must be read again{{/requiresRereading}}.</p>
        {{/editable}}
        {{/policy}}
        {{#chart}}{{> chart}}{{/chart}}
        {{#readers}}
        <h2>Readers</h2>
        <dl class="terms muted" id="readers-help">
          <dt>Verdict</dt><dd>How far the person got with the version they saw last: opened, read (the reading time was spent, or the end reached after the minimum time), or acknowledged ("I have read this document").</dd>
          <dt>Counts as read</dt><dd>Whether that meets this section's rule now: the reading time spent, confirmed when the section asks for it, and of the current version when changed documents must be read again.</dd>
        </dl>
        <p>{{#downloads}}<a href="{{csvURL}}" id="readers-csv">Download CSV</a> · <a href="{{jsonURL}}" id="readers-json">JSON</a> · {{/downloads}}{{#allColumns}}<a href="{{fewerColumnsURL}}" id="fewer-columns">Fewer columns</a>{{/allColumns}}{{^allColumns}}<a href="{{allColumnsURL}}" id="all-columns">All columns</a> (scroll, end reached, confirmation, version, views){{/allColumns}}</p>
        <div class="table-box"><table id="readers">
          <thead><tr>{{#columns.member}}{{> sortable}}{{/columns.member}}{{#columns.document}}{{> sortable}}{{/columns.document}}<th>Verdict</th><th>Counts as read</th><th>Active time</th>{{#allColumns}}<th>Scrolled</th><th>Reached end</th><th>Acknowledged</th><th>Version</th><th>Automated</th>{{#columns.views}}{{> sortable}}{{/columns.views}}{{/allColumns}}{{#columns.first}}{{> sortable}}{{/columns.first}}{{#columns.last}}{{> sortable}}{{/columns.last}}</tr></thead>
          <tbody>
          {{#rows}}<tr><td class="member">{{> person}}</td><td class="document">{{#link}}<a href="{{url}}">{{/link}}{{display}}{{#link}}</a>{{/link}}</td>{{> verdict}}<td class="active">{{active}}</td>{{#allColumns}}<td class="scroll">{{scroll}}</td><td class="end">{{end}}</td><td class="acknowledged">{{acknowledged}}</td><td class="version" title="{{versionID}}">{{version}}</td><td class="automated">{{automated}}</td><td class="views">{{views}}</td>{{/allColumns}}<td>{{first}}</td><td>{{last}}</td></tr>{{/rows}}
          {{^rows}}<tr><td colspan="13" class="muted">Nobody has read anything here yet: reads appear here once signed-in people open its pages{{#untracked}}, after tracking is enabled above{{/untracked}}.</td></tr>{{/rows}}
          </tbody>
        </table></div>
        <div class="pager"><span>{{range}}</span>{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}}{{#next}}<a href="{{next}}">Next →</a>{{/next}}</div>
        {{/readers}}
        <h2>Access log</h2>
        {{#downloads}}<p><a href="{{csvURL}}" id="access-log-csv">Download CSV</a> · <a href="{{jsonURL}}" id="access-log-json">JSON</a></p>{{/downloads}}
        <div class="table-box"><table id="access-log">
          <thead><tr>{{#columns}}{{> sortable}}{{/columns}}</tr></thead>
          <tbody>
          {{#rows}}<tr><td class="member">{{> person}}</td><td class="url">{{#link}}<a href="{{url}}">{{/link}}{{display}}{{#link}}</a>{{/link}}</td><td class="count">{{count}}</td><td>{{first}}</td><td>{{last}}</td></tr>{{/rows}}
          {{^rows}}<tr><td colspan="5" class="muted">Nobody has read anything here yet: reads appear here once signed-in people open its pages{{#untracked}}, after tracking is enabled above{{/untracked}}.</td></tr>{{/rows}}
          </tbody>
        </table></div>
        <div class="pager"><span>{{range}}</span>{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}}{{#next}}<a href="{{next}}">Next →</a>{{/next}}</div>
        {{/tracked}}
        {{/content}}
        {{/layout}}
        """

    static let groups = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Groups · ClickTracker{{/title}}
        {{$content}}
        <h1>Groups</h1>
        <p>Named lists of readers — a committee, a board — with the names and emails reports show instead of user ids.</p>
        <div class="table-box"><table id="groups">
          <thead><tr><th>Group</th><th>Members</th></tr></thead>
          <tbody>
          {{#groups}}<tr><td><a href="{{url}}">{{name}}</a></td><td>{{size}}</td></tr>{{/groups}}
          {{^groups}}<tr><td colspan="2" class="muted">No groups yet.</td></tr>{{/groups}}
          </tbody>
        </table></div>
        <h2>New group</h2>
        <form method="post" action="{{prefix}}/groups">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="set"><input type="hidden" name="form" value="new">
          <label for="group-name">Name</label><input type="text" id="group-name" name="name" maxlength="100" value="{{typedName}}" required{{#errors.name}} aria-invalid="true" aria-describedby="group-name-error"{{/errors.name}}>
          {{#errors.name}}<p class="field-error" id="group-name-error">{{.}}</p>{{/errors.name}}
          <label for="group-csv">Members as CSV: a header row <code>user,name,email</code>, then one person a row</label>
          {{#errors.csv}}<p class="field-error" id="group-csv-error">{{.}}</p>{{/errors.csv}}
          <textarea id="group-csv" name="csv" spellcheck="false" required{{#errors.csv}} aria-invalid="true" aria-describedby="group-csv-error"{{/errors.csv}}>{{csv}}</textarea>
          <button class="primary" id="create-group">Create group</button>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let group = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}{{name}} · Groups · ClickTracker{{/title}}
        {{$content}}
        <h1>Group: {{name}}</h1>
        <p><a href="{{prefix}}/groups">All groups</a> · <a href="{{exportURL}}" id="export-group">Download CSV</a> · <a href="{{jsonURL}}" id="export-group-json">JSON</a></p>
        <div class="table-box"><table id="members">
          <thead><tr><th>User</th><th>Name</th><th>Email</th></tr></thead>
          <tbody>
          {{#members}}<tr><td class="member">{{member}}</td><td>{{displayName}}</td><td>{{email}}</td></tr>{{/members}}
          {{^members}}<tr><td colspan="3" class="muted">This group has no members.</td></tr>{{/members}}
          </tbody>
        </table></div>
        <h2>Change the members</h2>
        <form method="post" action="{{prefix}}/groups">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="set">
          <input type="hidden" name="name" value="{{name}}">
          <label for="group-csv">The group becomes exactly these people (CSV: <code>user,name,email</code>)</label>
          {{#errors.csv}}<p class="field-error" id="group-csv-error">{{.}}</p>{{/errors.csv}}
          {{#errors.name}}<p class="field-error" id="group-name-error">{{.}}</p>{{/errors.name}}
          <textarea id="group-csv" name="csv" spellcheck="false" required{{#errors.csv}} aria-invalid="true" aria-describedby="group-csv-error"{{/errors.csv}}>{{csv}}</textarea>
          <button class="primary" id="save-group">Save members</button>
        </form>
        <form method="post" action="{{prefix}}/groups">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="delete">
          <input type="hidden" name="name" value="{{name}}">
          <button class="danger" id="delete-group">Delete this group…</button>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let requests = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Reading requests · ClickTracker{{/title}}
        {{$content}}
        <h1>Reading requests</h1>
        <p>Who must have read a document or a section by when — the papers for a meeting.</p>
        <div class="table-box"><table id="requests">
          <thead><tr><th>Request</th><th>Folder or document</th><th>Documents</th><th>Readers</th><th>Deadline</th></tr></thead>
          <tbody>
          {{#requests}}<tr><td><a href="{{url}}">{{title}}</a></td><td>{{path}}</td><td>{{documents}}</td><td>{{readers}}</td><td>{{deadline}}</td></tr>{{/requests}}
          {{^requests}}<tr><td colspan="5" class="muted">No reading requests yet: create one below.</td></tr>{{/requests}}
          </tbody>
        </table></div>
        <h2>New request</h2>
        <form method="post" action="{{prefix}}/requests" id="new-request">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="create">
          <label for="request-title">Title</label><input type="text" id="request-title" name="title" maxlength="200" placeholder="Board meeting, 3 December" value="{{input.title}}" required{{#errors.title}} aria-invalid="true" aria-describedby="request-title-error"{{/errors.title}}>
          {{#errors.title}}<p class="field-error" id="request-title-error">{{.}}</p>{{/errors.title}}
          <label for="request-path">Folder or document</label><input type="text" id="request-path" name="path" placeholder="/papers" value="{{input.path}}" required aria-describedby="request-path-help{{#errors.path}} request-path-error{{/errors.path}}"{{#errors.path}} aria-invalid="true"{{/errors.path}}>
          {{#errors.path}}<p class="field-error" id="request-path-error">{{.}}</p>{{/errors.path}}
          <p class="muted" id="request-path-help">Every document under it is expected to be read: the site's pages, or in front of another site the pages seen there so far. You can add and remove documents later.</p>
          <label for="request-documents">Documents not seen yet (paths, one per line)</label>
          {{#errors.documents}}<p class="field-error" id="request-documents-error">{{.}}</p>{{/errors.documents}}
          <textarea id="request-documents" name="documents" rows="2" placeholder="/papers/annual-report.html" spellcheck="false"{{#errors.documents}} aria-invalid="true" aria-describedby="request-documents-error"{{/errors.documents}}>{{input.documents}}</textarea>
          <label for="request-group">Group</label>
          <select id="request-group" name="group"><option value="">(none)</option>{{#groups}}<option{{#isChosen}} selected{{/isChosen}}>{{name}}</option>{{/groups}}</select>
          <label for="request-members">Other members (user ids, separated by commas)</label><input type="text" id="request-members" name="members" value="{{input.members}}"{{#errors.members}} aria-invalid="true" aria-describedby="request-members-error"{{/errors.members}}>
          {{#errors.members}}<p class="field-error" id="request-members-error">{{.}}</p>{{/errors.members}}
          <div class="actions">
            <div><label for="request-date">Deadline: date</label><input type="date" id="request-date" name="date" value="{{input.date}}" required{{#errors.date}} aria-invalid="true" aria-describedby="request-date-error"{{/errors.date}}></div>
            <div><label for="request-time">time</label><input type="time" id="request-time" name="time" value="{{input.time}}" required></div>
            <div><label for="request-zone">time zone (type to search)</label><input type="text" id="request-zone" name="time-zone" list="time-zones" autocomplete="off" value="{{input.time-zone}}" required{{#errors.time-zone}} aria-invalid="true" aria-describedby="request-zone-error"{{/errors.time-zone}}></div>
          </div>
          <datalist id="time-zones">{{#timeZones}}<option value="{{.}}"></option>{{/timeZones}}</datalist>
          {{#errors.date}}<p class="field-error" id="request-date-error">{{.}}</p>{{/errors.date}}
          {{#errors.time-zone}}<p class="field-error" id="request-zone-error">{{.}}</p>{{/errors.time-zone}}
          <button class="primary" id="create-request">Create request</button>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let request = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}{{title}} · Reading requests · ClickTracker{{/title}}
        {{$content}}
        <h1>{{title}}</h1>
        <p><a href="{{trackingURL}}">{{path}}</a>{{#group}} · group {{group}}{{/group}} · deadline {{deadline}}</p>
        {{#untracked}}<p class="state error" id="untracked">Not tracked, so nothing is recorded for: {{untracked}}. Enable tracking for them on the Tracking page.</p>{{/untracked}}
        <div class="state" id="summary">
          <p><strong>{{summary}}</strong>{{#completed}} <span class="badge read" id="completed">everyone had read everything on {{completed}}</span>{{/completed}}</p>
          <p class="counts"><span class="opened">{{opened}}</span><span class="not-opened">{{notOpened}}</span>{{#late}}<span class="late">{{late}}</span>{{/late}}</p>
          <label for="deadline-progress">{{#passed}}The deadline has passed{{#frozen}}; the status at the deadline was frozen {{frozen}}{{/frozen}}.{{/passed}}{{^passed}}Time to the deadline used: {{percent}}%{{/passed}}</label>
          <progress id="deadline-progress" max="100" value="{{percent}}">{{percent}}%</progress>
        </div>
        {{#chart}}{{> chart}}{{/chart}}
        <p><a href="{{csvURL}}" id="request-csv">Download CSV</a> · <a href="{{jsonURL}}" id="request-json">JSON</a></p>
        <h2 id="readers">Readers × documents</h2>
        <p class="muted">Each cell is how far the reader had got with the document {{stageWhen}}: not opened, opened, read (the reading time was spent), or acknowledged. Hover over a cell, or move to it with the Tab key, for its evidence.{{#passed}} <strong>Since</strong> says what a reader did after the deadline: when they finished reading everything, or how far they have got now.{{/passed}}</p>
        <ul class="filters" id="reader-filters" aria-label="Which readers to show">{{#filters}}<li><a href="{{url}}"{{#isCurrent}} aria-current="true"{{/isCurrent}}>{{label}} ({{count}})</a></li>{{/filters}}</ul>
        <div class="grid-box">
        <table id="request-grid" class="grid">
          <thead><tr>{{#readerColumn}}{{> sortable}}{{/readerColumn}}{{#stageSort}}{{> sortable}}{{/stageSort}}{{#readSort}}{{> sortable}}{{/readSort}}{{#passed}}<th scope="col">Since</th>{{/passed}}{{#columns}}<th scope="col" class="document" title="{{path}}">{{#url}}<a href="{{url}}">{{/url}}{{label}}{{#url}}</a>{{/url}}</th>{{/columns}}</tr></thead>
          <tbody>
          {{{gridRows}}}
          {{^hasRows}}<tr><td colspan="4" class="muted">{{#hasReaders}}Nobody in this list: choose “Everyone” above.{{/hasReaders}}{{^hasReaders}}Nobody is expected to read it: the group is empty or gone.{{/hasReaders}}</td></tr>{{/hasRows}}
          </tbody>
        </table>
        </div>
        <p class="pager">{{readerRange}}{{#previousReaders}} · <a href="{{previousReaders}}">previous readers</a>{{/previousReaders}}{{#nextReaders}} · <a href="{{nextReaders}}" id="next-readers">next readers</a>{{/nextReaders}}{{#documentRange}} · {{documentRange}}{{/documentRange}}{{#previousDocuments}} · <a href="{{previousDocuments}}">previous documents</a>{{/previousDocuments}}{{#nextDocuments}} · <a href="{{nextDocuments}}" id="next-documents">next documents</a>{{/nextDocuments}}</p>
        <h2 id="documents">Documents</h2>
        <ul id="request-documents">
          {{#documents}}<li>{{label}} <span class="muted">{{path}}{{^seen}} · nobody has opened it yet{{/seen}}</span>
            <form method="post" action="{{prefix}}/requests" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="remove-document"><input type="hidden" name="id" value="{{id}}"><input type="hidden" name="path" value="{{path}}"><button aria-label="Remove {{path}} from this request">Remove</button></form></li>{{/documents}}
          {{^documents}}<li class="muted">This request names no documents yet: add them below.</li>{{/documents}}
        </ul>
        {{#documentRange}}<p class="pager">Showing {{documentRange}}, as in the grid{{#previousDocuments}} · <a href="{{previousDocuments}}">previous documents</a>{{/previousDocuments}}{{#nextDocuments}} · <a href="{{nextDocuments}}">next documents</a>{{/nextDocuments}}</p>{{/documentRange}}
        <form method="post" action="{{prefix}}/requests">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="add-documents"><input type="hidden" name="id" value="{{id}}">
          <label for="add-documents">Add documents (paths, one per line)</label><textarea id="add-documents" name="documents" rows="2" spellcheck="false" placeholder="{{path}}/annex.html" required></textarea>
          <button id="add-documents-button">Add documents</button>
        </form>
        <form method="post" action="{{prefix}}/requests">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="find-documents"><input type="hidden" name="id" value="{{id}}">
          <button id="find-documents">Add the documents now found under {{path}}</button>
        </form>
        <h2 id="reminders">Reminders</h2>
        <p>Every expected reader who has not yet read all the documents is mailed a reminder listing what is still unread, with links. Readers who have read everything get nothing, and nobody gets the same reminder twice.</p>
        {{#mailMissing}}<p class="state warning" id="mail-missing">Reminders are not sent: no mail server is set up. An administrator sets <code>mail.from</code>, <code>mail.site_url</code> and either <code>mail.smtp.host</code> or <code>mail.sendmail</code> in the configuration (see the README).</p>{{/mailMissing}}
        {{#mailSummary}}<p class="muted">{{mailSummary}}</p>{{/mailSummary}}
        {{#hasUnreachable}}<p class="state warning" id="cannot-be-reminded"><strong>Cannot be reminded</strong> (no email address known): {{unreachable}}. Add their addresses to their group.</p>{{/hasUnreachable}}
        <div class="table-box"><table id="request-reminders">
          <thead><tr><th>Reminder</th><th>When</th><th>State</th></tr></thead>
          <tbody>
          {{#reminders}}<tr><td>{{label}}</td><td>{{due}}</td><td class="reminder-state">{{state}}</td></tr>{{/reminders}}
          {{^reminders}}<tr><td colspan="3" class="muted">No reminders are set.</td></tr>{{/reminders}}
          </tbody>
        </table></div>
        <form method="post" action="{{prefix}}/requests">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="reminders"><input type="hidden" name="id" value="{{id}}">
          <label for="reminder-hours">Send reminders this many hours before the deadline (separated by commas; empty for none)</label>
          <input type="text" id="reminder-hours" name="hours" value="{{reminderHours}}" placeholder="48, 2" inputmode="numeric">
          <button id="save-reminders">Save the reminders</button>
        </form>
        {{#canRemind}}<form method="post" action="{{prefix}}/requests">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="remind-now"><input type="hidden" name="id" value="{{id}}"><input type="hidden" name="nonce" value="{{remindNonce}}">
          <button class="primary" id="remind-now">Remind now</button>
        </form>{{/canRemind}}
        <h3>Mails sent</h3>
        <div class="table-box"><table id="reminder-mails">
          <thead><tr><th>Reader</th><th>Address</th><th>Reminder</th><th>When</th><th>What happened</th></tr></thead>
          <tbody>
          {{#mails}}<tr><td>{{member}}</td><td>{{email}}</td><td>{{reminder}}</td><td>{{at}}</td><td class="{{stateClass}}">{{state}}{{#detail}}: {{detail}}{{/detail}}</td></tr>{{/mails}}
          {{^mails}}<tr><td colspan="5" class="muted">No reminder has been mailed yet.</td></tr>{{/mails}}
          </tbody>
        </table></div>
        <h2 id="receipts">Signed receipts</h2>
        <p>A receipt is this request's status — every expected reader, each document, how far they got and the evidence for it — signed with this server's key, so that anyone can check later, without ClickTracker, that it was not changed. One is issued when the deadline passes; you can ask for one at any time. <a href="{{prefix}}/evidence/key" id="evidence-key">The server's public key</a> checks them (see the README).</p>
        <div class="table-box"><table id="request-receipts">
          <thead><tr><th>Issued</th><th>Why</th><th>By</th><th>File</th></tr></thead>
          <tbody>
          {{#receipts}}<tr><td>{{issued}}</td><td>{{reason}}</td><td>{{by}}</td><td><a href="{{url}}" download>Download</a></td></tr>{{/receipts}}
          {{^receipts}}<tr><td colspan="4" class="muted">No receipt has been issued yet.{{^passed}} One is issued when the deadline passes.{{/passed}}</td></tr>{{/receipts}}
          </tbody>
        </table></div>
        <form method="post" action="{{prefix}}/requests">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="receipt"><input type="hidden" name="id" value="{{id}}">
          <button id="issue-receipt">Issue a signed receipt now</button>
        </form>
        <form method="post" action="{{prefix}}/requests">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="delete"><input type="hidden" name="id" value="{{id}}">
          <button class="danger" id="delete-request">Delete this request…</button>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let reads = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Reads of {{name}} · ClickTracker{{/title}}
        {{$content}}
        <h1>{{#isOwn}}My reads{{/isOwn}}{{^isOwn}}Reads of {{name}}{{/isOwn}}</h1>
        <p class="muted">{{member}}: every tracked document read, with the evidence the server recorded and the verdict under its section's policy.</p>
        {{#downloads}}<p><a href="{{csvURL}}" id="reads-csv">Download CSV</a> · <a href="{{jsonURL}}" id="reads-json">JSON</a></p>{{/downloads}}
        <p>{{#allColumns}}<a href="{{fewerColumnsURL}}" id="fewer-columns">Fewer columns</a>{{/allColumns}}{{^allColumns}}<a href="{{allColumnsURL}}" id="all-columns">All columns</a> (scroll, end reached, confirmation, version, views){{/allColumns}}</p>
        <div class="table-box"><table id="reads">
          <thead><tr>{{#columns.document}}{{> sortable}}{{/columns.document}}<th>Verdict</th><th>Counts as read</th><th>Active time</th>{{#allColumns}}<th>Scrolled</th><th>Reached end</th><th>Acknowledged</th><th>Version</th>{{#columns.views}}{{> sortable}}{{/columns.views}}{{/allColumns}}{{#columns.first}}{{> sortable}}{{/columns.first}}{{#columns.last}}{{> sortable}}{{/columns.last}}</tr></thead>
          <tbody>
          {{#rows}}<tr><td class="document">{{#link}}<a href="{{url}}">{{/link}}{{display}}{{#link}}</a>{{/link}}</td>{{> verdict}}<td class="active">{{active}}</td>{{#allColumns}}<td class="scroll">{{scroll}}</td><td class="end">{{end}}</td><td class="acknowledged">{{acknowledged}}</td><td class="version" title="{{versionID}}">{{version}}</td><td class="views">{{views}}</td>{{/allColumns}}<td>{{first}}</td><td>{{last}}</td></tr>{{/rows}}
          {{^rows}}<tr><td colspan="11" class="muted">No reads recorded.</td></tr>{{/rows}}
          </tbody>
        </table></div>
        <div class="pager"><span>{{range}}</span>{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}}{{#next}}<a href="{{next}}">Next →</a>{{/next}}</div>
        {{/content}}
        {{/layout}}
        """

    static let tokens = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}API tokens · ClickTracker{{/title}}
        {{$content}}
        <h1>API tokens</h1>
        <p>Programs read the reports and manage reading requests through the JSON API at <code>{{apiURL}}</code>, described by <a href="{{openAPIURL}}">its OpenAPI document</a>. They send a token: <code>Authorization: Bearer ct_…</code>. A token may read every report; every read is in the audit log.</p>
        {{#secret}}
        <div class="state" id="new-token">
          <p>The token <strong>{{name}}</strong> was made. Copy it now: it is shown only this once.</p>
          <p><code id="token-secret">{{value}}</code></p>
        </div>
        {{/secret}}
        <div class="table-box"><table id="tokens">
          <thead><tr><th>Name</th><th>Made by</th><th>Made</th><th>State</th><th></th></tr></thead>
          <tbody>
          {{#tokens}}<tr><td class="name">{{name}}</td><td>{{createdBy}}</td><td>{{createdAt}}</td>
            <td class="token-state">{{#revokedAt}}revoked {{revokedAt}}{{/revokedAt}}{{^revokedAt}}active{{/revokedAt}}</td>
            <td>{{^revokedAt}}<form method="post" action="{{prefix}}/tokens"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="revoke"><input type="hidden" name="id" value="{{id}}"><button class="revoke danger">Revoke…</button></form>{{/revokedAt}}</td></tr>{{/tokens}}
          {{^tokens}}<tr><td colspan="5" class="muted">No tokens yet.</td></tr>{{/tokens}}
          </tbody>
        </table></div>
        <h2>Make a token</h2>
        <form method="post" action="{{prefix}}/tokens">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="create">
          <label for="token-name">What it is for</label><input type="text" id="token-name" name="name" maxlength="100" required placeholder="board portal"{{#error}} aria-invalid="true" aria-describedby="token-name-error"{{/error}}>
          {{#error}}<p class="field-error" id="token-name-error">{{error}}</p>{{/error}}
          <button class="primary" id="create-token">Make token</button>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let webhooks = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Webhooks · ClickTracker{{/title}}
        {{$content}}
        <h1>Webhooks</h1>
        <p>Other programs — a board portal, a chat channel, a minutes tool — can be told when something happens here. ClickTracker posts a JSON message to each endpoint below for the events it asked for, signed as <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> describes (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>). An endpoint that does not answer with a 2xx status is tried again, waiting longer each time, for up to a day.</p>
        {{#error}}<p class="state error" role="alert" id="error">{{error}}</p>{{/error}}
        {{#created}}
        <div class="state" id="new-webhook">
          <p>The endpoint <strong>{{url}}</strong> was added. Copy its signing secret now: it is shown only this once. The receiving program checks every message's signature with it.</p>
          <p><code id="webhook-secret">{{secret}}</code></p>
        </div>
        {{/created}}
        <div class="table-box"><table id="webhooks">
          <thead><tr><th>Endpoint</th><th>Events</th><th>Added by</th><th>Added</th><th></th></tr></thead>
          <tbody>
          {{#endpoints}}<tr><td class="url">{{url}}</td><td>{{events}}</td><td>{{createdBy}}</td><td>{{createdAt}}</td>
            <td><form method="post" action="{{prefix}}/webhooks"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="delete"><input type="hidden" name="id" value="{{id}}"><button class="danger">Delete…</button></form></td></tr>{{/endpoints}}
          {{^endpoints}}<tr><td colspan="5" class="muted">No endpoints yet: add one below.</td></tr>{{/endpoints}}
          </tbody>
        </table></div>
        <h2>Add an endpoint</h2>
        <form method="post" action="{{prefix}}/webhooks" id="new-endpoint">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="create">
          <label for="webhook-url">URL</label><input type="text" id="webhook-url" name="url" value="{{url}}" placeholder="https://portal.example.org/hooks/clicktracker" required style="width: 28rem">
          <fieldset><legend>Events</legend>
          {{#events}}<label><input type="checkbox" name="event-{{name}}" value="yes"{{#isChosen}} checked{{/isChosen}}> <code>{{name}}</code>: {{summary}}</label>{{/events}}
          </fieldset>
          <button class="primary" id="add-webhook">Add the endpoint</button>
        </form>
        <h2 id="deliveries">Delivery log</h2>
        <p class="muted">Every message, newest first: delivered, waiting to be tried again, or given up after a day. Messages are kept for 30 days.</p>
        <div class="table-box"><table id="webhook-deliveries">
          <thead><tr><th>Made</th><th>Event</th><th>Endpoint</th><th>State</th><th>Attempts</th><th>Last answer</th><th></th></tr></thead>
          <tbody>
          {{#deliveries}}<tr><td>{{createdAt}}</td><td><code>{{event}}</code> <span class="muted">{{messageID}}</span></td><td>{{url}}</td><td class="delivery-state {{stateClass}}">{{state}}</td><td class="attempts">{{attempts}}</td><td>{{answer}}</td>
            <td>{{#canResend}}<form method="post" action="{{prefix}}/webhooks"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="resend"><input type="hidden" name="id" value="{{id}}"><button class="resend">Send again</button></form>{{/canResend}}</td></tr>{{/deliveries}}
          {{^deliveries}}<tr><td colspan="7" class="muted">Nothing has been sent yet.</td></tr>{{/deliveries}}
          </tbody>
        </table></div>
        <p class="pager">{{deliveryRange}}{{#previousPage}} · <a href="{{previousPage}}">newer</a>{{/previousPage}}{{#nextPage}} · <a href="{{nextPage}}">older</a>{{/nextPage}}</p>
        {{/content}}
        {{/layout}}
        """

    static let audit = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Audit log · ClickTracker{{/title}}
        {{$content}}
        <h1>Audit log</h1>
        <p>Who looked at which report, newest first: pages, downloads, the JSON API (<code>token:</code>, the token's id and name) and <code>clicktracker report</code> (<code>cli:</code> and the system user); and API tokens made and revoked.</p>
        <p><a href="{{csvURL}}" id="audit-csv">Download CSV</a> · <a href="{{jsonURL}}" id="audit-json">JSON</a></p>
        <div class="table-box"><table id="audit">
          <thead><tr><th>When</th><th>Who</th><th>Report</th><th>About</th></tr></thead>
          <tbody>
          {{#rows}}<tr><td>{{at}}</td><td class="actor">{{actor}}</td><td class="action">{{action}}</td><td class="subject">{{subject}}</td></tr>{{/rows}}
          {{^rows}}<tr><td colspan="4" class="muted">Nobody has looked at a report yet.</td></tr>{{/rows}}
          </tbody>
        </table></div>
        <div class="pager"><span>{{range}}</span>{{#previous}}<a href="{{previous}}">← Previous</a>{{/previous}}{{#next}}<a href="{{next}}">Next →</a>{{/next}}</div>
        {{/content}}
        {{/layout}}
        """

    /// A sortable column's header, `aria-sort` on the one the table is sorted by (a partial).
    static let sortable = """
        {{% CONTENT_TYPE: HTML_SCALARS}}<th{{#ariaSort}} aria-sort="{{ariaSort}}"{{/ariaSort}}><a href="{{url}}">{{label}}</a>{{arrow}}</th>
        """

    /// A verdict as a badge with its words, and whether it counts as read (a partial).
    static let verdict = """
        {{% CONTENT_TYPE: HTML_SCALARS}}<td class="verdict" data-level="{{level}}"><span class="badge {{level}}">{{verdict}}</span></td><td class="counts">{{counts}}</td>
        """

    /// A member's display name beside their id, or the id alone (a partial: `{{> person}}`).
    static let person = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{#name}}{{name}} <span class="muted">{{member}}</span>{{/name}}{{^name}}{{member}}{{/name}}
        """

    /// Reads over time as an SVG step line, from `ReadsChart` values (a partial: `{{> chart}}`).
    static let chart = """
        {{% CONTENT_TYPE: HTML_SCALARS}}<figure id="reads-chart">
          <svg viewBox="0 0 400 160" role="img" aria-labelledby="reads-chart-title">
            <title id="reads-chart-title">{{description}}</title>
            <line x1="40" y1="118" x2="390" y2="118" stroke="#99a"></line>
            <line x1="40" y1="10" x2="40" y2="118" stroke="#99a"></line>
            {{#lines}}<polyline class="line line-{{style}}" fill="none" stroke-width="2" points="{{points}}"><title>{{label}}</title></polyline>{{/lines}}
            {{#deadlineX}}<line x1="{{deadlineX}}" y1="6" x2="{{deadlineX}}" y2="118" stroke="#d33" stroke-dasharray="4 3"></line>
            <text x="{{deadlineX}}" y="134" text-anchor="{{deadlineAnchor}}" font-size="14" fill="#b00">deadline</text>{{/deadlineX}}
            <text x="34" y="20" text-anchor="end" font-size="14">{{total}}</text>
            <text x="34" y="118" text-anchor="end" font-size="14">0</text>
            <text x="40" y="154" font-size="14">{{start}}</text>
            <text x="390" y="154" text-anchor="end" font-size="14">{{end}}</text>
          </svg>
          {{#legend}}<ul class="legend">{{#lines}}<li><span class="swatch swatch-{{style}}"></span>{{label}}</li>{{/lines}}</ul>{{/legend}}
          <figcaption class="muted">{{caption}} {{description}}</figcaption>
        </figure>
        """

    static let storage = """
        {{% CONTENT_TYPE: HTML_SCALARS}}{{<layout}}
        {{$title}}Storage · ClickTracker{{/title}}
        {{$head}}{{#copyRunning}}<meta http-equiv="refresh" content="1">{{/copyRunning}}{{/head}}
        {{$content}}
        <h1>Storage</h1>
        <div class="state" id="current-store">
          Reads are stored in <strong>{{current}}</strong>.
          {{statistics}}
        </div>
        {{#unreachable}}<p class="state error" id="unreachable">{{unreachable}}</p>{{/unreachable}}
        {{#hasSpooled}}<p class="state error" id="spool">{{spooled}} reads are waiting in the local spool ({{spoolPath}}); they are written to the database, oldest first, as soon as it answers.</p>{{/hasSpooled}}
        {{#setAside}}
        <div class="state error" id="set-aside">
          <p>{{count}} {{reads}} acknowledged while the database was unreachable {{were}} refused by the database twice when written later, and {{were}} set aside in {{file}}. Nothing is deleted: fix the cause, then write them again.</p>
          <ul>{{#reasons}}<li>{{count}} × {{reason}}</li>{{/reasons}}</ul>
          <form method="post" action="{{prefix}}/storage">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button name="action" value="retry" id="retry-set-aside">Write the set-aside reads again</button>
          </form>
        </div>
        {{/setAside}}
        {{^hasSpooled}}<p class="muted" id="spool">The local spool ({{spoolPath}}) is empty.</p>{{/hasSpooled}}
        {{#notice}}
        <div class="state{{#isError}} error{{/isError}}" id="notice"><p>{{text}}</p>{{#details}}<p>{{.}}</p>{{/details}}</div>
        {{/notice}}
        {{#copyRunning}}<div class="state" id="copy">Copying the SQLite file's reads: {{copied}} of {{total}}. <progress max="100" value="{{percent}}">{{percent}}%</progress></div>{{/copyRunning}}
        {{#copyFailed}}<div class="state error" id="copy">The copy stopped after {{copied}} views: {{reason}} Copy again to finish it; views already copied are skipped.</div>{{/copyFailed}}
        {{#copyFinished}}
        <div class="state{{^complete}} error{{/complete}}" id="copy">
          <p>Copy finished: the database holds {{present}} of the {{sourceViews}} views in the SQLite file.{{^complete}} Some are missing: copy again.{{/complete}}</p>
          <div class="table-box"><table><thead><tr><th></th><th>SQLite file</th><th>Now in use</th></tr></thead><tbody>
          {{#rows}}<tr><td>{{label}}</td><td>{{source}}</td><td>{{destination}}</td></tr>{{/rows}}
          </tbody></table></div>
        </div>
        {{/copyFinished}}
        <h2>PostgreSQL</h2>
        <p>For several ClickTracker instances or a larger site. Create the role and database first (see the README), then test the connection here.</p>
        <form method="post" action="{{prefix}}/storage" class="actions">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <div><label for="dsn">Connection string</label>
          <input type="text" id="dsn" name="dsn" placeholder="dbname=tracking  or  postgres://user@host/tracking" autocomplete="off" spellcheck="false"></div>
          <button name="action" value="test" id="test">Test connection</button>
        </form>
        {{#candidate}}
        <p>Tested: <code>{{dsn}}</code></p>
        <div class="actions">
        <form method="post" action="{{prefix}}/storage">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="candidate" value="{{id}}">
          <button name="action" value="init" id="initialise">Initialise database</button>
        </form>
        <form method="post" action="{{prefix}}/storage">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="candidate" value="{{id}}">
          <label><input type="checkbox" name="copy" value="yes" checked> Copy the reads in {{sqlitePath}} across</label>
          <button name="action" value="switch" id="switch">Switch to this database</button>
        </form>
        </div>
        {{/candidate}}
        {{#onPostgres}}
        <h2>SQLite</h2>
        <form method="post" action="{{prefix}}/storage" class="actions">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <button name="action" value="copy" id="copy-again">Copy the reads in {{sqlitePath}} again</button>
          <button name="action" value="sqlite" id="use-sqlite">Switch back to {{sqlitePath}}</button>
        </form>
        {{/onPostgres}}
        {{/content}}
        {{/layout}}
        """
}
