// The screens' own few styles and the script that fills a form in again after a session ended
// (screens/resume.ts), served with the workspace's app.css and app.js.

export const SCREENS_CSS = `
a.button{display:inline-block;background:#a4161a;color:#fff;border-radius:.3rem;padding:.45rem .8rem;text-decoration:none;font-weight:600}
a.button:focus,a.button:hover{background:#8a1014}
dl.facts{display:grid;grid-template-columns:minmax(9rem,max-content) 1fr;gap:.3rem 1rem;margin:.8rem 0}dl.facts div{display:contents}
dl.facts dt{font-weight:600;color:#50575e}dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere;font-weight:400}
code.hash{font-size:.8rem;word-break:break-all}ol.history{padding-left:1.3rem}ol.history li{margin:.2rem 0}
progress{width:min(30rem,100%);height:1.1rem}
form.filters label{min-width:0;max-width:100%;grid-template-columns:minmax(0,auto)}form.filters select,form.filters input{min-width:0;max-width:100%}.scroll{overflow-x:auto;max-width:100%}
ul.inline-list{list-style:none;margin:.2rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.1rem .7rem;font-size:.88rem}
fieldset.households{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.2rem .8rem}fieldset.households legend{font-weight:600}
@media (max-width:40rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}}
`;

export const SCREENS_JS = `
(function () {
  var vi = document.documentElement.lang !== "en";
  var kept = document.getElementById("kept-form");
  if (kept) {
    var login = document.querySelector("form[data-resume]");
    if (login) login.addEventListener("submit", function () {
      var values = [];
      kept.querySelectorAll("input").forEach(function (i) { values.push([i.name, i.value]); });
      try { sessionStorage.setItem("soquy:kept", JSON.stringify({ action: kept.getAttribute("data-action"), values: values })); } catch (e) {}
    });
    return;
  }
  var raw = null;
  try { raw = sessionStorage.getItem("soquy:kept"); } catch (e) { return; }
  if (!raw) return;
  var k; try { k = JSON.parse(raw); } catch (e) { return; }
  var form = Array.prototype.filter.call(document.forms, function (f) { return f.getAttribute("action") === k.action; })[0];
  if (!form) return;
  sessionStorage.removeItem("soquy:kept");
  var has = function (name, value) { return k.values.some(function (kv) { return kv[0] === name && kv[1] === value; }); };
  Array.prototype.forEach.call(form.elements, function (el) {
    if (!el.name || el.type === "hidden" || el.type === "file" || el.type === "submit") return;
    if (el.type === "checkbox" || el.type === "radio") { el.checked = has(el.name, el.value); return; }
    var v = k.values.filter(function (kv) { return kv[0] === el.name; })[0];
    if (v) el.value = v[1];
  });
  // The parts of the form that follow the method chosen (a bank transfer's account, goods) show again.
  var method = form.querySelector("[name=method]:checked") || form.querySelector("select[name=method]");
  if (method) method.dispatchEvent(new Event("change", { bubbles: true }));
  var note = document.createElement("p"); note.className = "flash"; note.setAttribute("role", "status"); note.setAttribute("data-testid", "restored");
  note.textContent = vi ? "Đã điền lại những gì bạn nhập trước khi phiên đăng nhập kết thúc: hãy kiểm tra rồi gửi lại."
    : "What you typed before your session ended is filled in again: check it and send it.";
  form.parentNode.insertBefore(note, form);
})();
`;
