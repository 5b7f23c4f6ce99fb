/**
 * The example's page: log in, see your sessions, end them. Plain HTML and a little inline script
 * using `fetch`; the session cookie is HttpOnly, so the script never sees it.
 */

/** The HTML of `/`. */
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>effect-redisess example</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
  button { margin-right: .5rem; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>effect-redisess</h1>
<p id="error" role="alert"></p>
<section id="loggedOut" hidden>
  <form id="loginForm">
    <label>User name <input name="userName" id="userName" required maxlength="512"></label>
    <button type="submit" id="login">Log in</button>
  </form>
</section>
<section id="loggedIn" hidden>
  <p>Logged in as <strong id="user"></strong>.</p>
  <button id="logout">Log out</button>
  <button id="logoutOthers">Log out other devices</button>
  <button id="rotate">Rotate session id</button>
  <h2>My sessions</h2>
  <table>
    <thead><tr><th>session</th><th>created</th><th>last access</th><th></th></tr></thead>
    <tbody id="sessions"></tbody>
  </table>
</section>
<h2>Stats</h2>
<pre id="stats"></pre>
<script>
const $ = (id) => document.getElementById(id)
const time = (secs) => new Date(secs * 1000).toLocaleTimeString()
const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td }

async function post(url) {
  const response = await fetch(url, { method: "POST" })
  $("error").textContent = response.ok ? "" : url + ": " + response.status
  await refresh()
}

async function refresh() {
  const me = await fetch("/me")
  $("loggedIn").hidden = !me.ok
  $("loggedOut").hidden = me.ok
  if (me.ok) {
    $("user").textContent = (await me.json()).userId
    const sessions = await (await fetch("/sessions")).json()
    const rows = sessions.map((s) => {
      const tr = document.createElement("tr")
      tr.dataset.id = s.id
      tr.append(cell(s.id + (s.current ? " (this browser)" : "")), cell(time(s.createdAt)), cell(time(s.lastAccess)))
      const end = document.createElement("button")
      end.textContent = "End"
      end.className = "end"
      end.onclick = () => post("/sessions/" + encodeURIComponent(s.id) + "/end")
      const td = document.createElement("td")
      td.append(end)
      tr.append(td)
      return tr
    })
    $("sessions").replaceChildren(...rows)
  }
  $("stats").textContent = JSON.stringify(await (await fetch("/stats")).json(), null, 2)
  document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1)
}

$("loginForm").onsubmit = async (event) => {
  event.preventDefault()
  await post("/login?userName=" + encodeURIComponent($("userName").value))
}
$("logout").onclick = () => post("/logout")
$("logoutOthers").onclick = () => post("/logout-others")
$("rotate").onclick = () => post("/rotate")
refresh()
</script>
</body>
</html>
`
