/* Amount inputs (creditportal.core.forms.AmountInput, data-amount-echo): what the person typed, read as the
   server reads it (creditportal.core.numerals.parse_amount: separators, a unit 元 / 万 / 万元 / 亿 / 亿元), echoed
   under the input grouped and in words: 大写金额 on Chinese pages, English words on English pages. */
(function () {
  "use strict";
  var UNITS = {"": 1, "元": 1, "万": 1e4, "万元": 1e4, "亿": 1e8, "亿元": 1e8};
  var PATTERN = /^([-+]?)([0-9][0-9,，\s]*(?:\.[0-9]+)?|\.[0-9]+)\s*([元万亿]*元?)$/;
  var DIGITS = "零壹贰叁肆伍陆柒捌玖", SMALL = ["仟", "佰", "拾", ""], BIG = ["", "万", "亿", "万亿"];

  function parse(text) {
    var match = PATTERN.exec(String(text || "").trim());
    if (!match || !(match[3] in UNITS)) { return null; }
    var digits = match[2].replace(/[,，\s]/g, "");
    var parts = digits.split(".");
    // cents as an integer, exactly (no floating point): whole part × 100 + two decimals, times the unit
    var whole = BigInt(parts[0] || "0"), fraction = ((parts[1] || "") + "000000000").slice(0, 10);
    var scale = BigInt(UNITS[match[3]]);
    var cents = (whole * 100n + BigInt(fraction.slice(0, 2))) * scale +
                BigInt(fraction.slice(2)) * scale / 100000000n;
    return {negative: match[1] === "-", cents: cents};
  }

  function grouped(cents) {
    var yuan = (cents / 100n).toString(), rest = (cents % 100n).toString().padStart(2, "0");
    return yuan.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + rest;
  }

  function capitalInteger(n) {
    if (n === 0n) { return DIGITS[0]; }
    var groups = [];
    while (n > 0n) { groups.push(Number(n % 10000n)); n = n / 10000n; }
    if (groups.length > BIG.length) { return null; }
    var out = "", pendingZero = false;
    for (var index = groups.length - 1; index >= 0; index--) {
      var group = groups[index];
      if (group === 0) { pendingZero = pendingZero || out !== ""; continue; }
      var digits = [Math.floor(group / 1000), Math.floor(group / 100) % 10, Math.floor(group / 10) % 10, group % 10];
      for (var position = 0; position < 4; position++) {
        if (digits[position] === 0) { pendingZero = pendingZero || out !== ""; continue; }
        if (pendingZero) { out += DIGITS[0]; pendingZero = false; }
        out += DIGITS[digits[position]] + SMALL[position];
      }
      out += BIG[index];
    }
    return out;
  }

  function capital(cents) {  // creditportal.core.numerals.capital_amount, without the currency prefix
    var yuan = cents / 100n, jiao = Number(cents % 100n / 10n), fen = Number(cents % 10n);
    var integer = capitalInteger(yuan);
    if (integer === null) { return ""; }
    var text = "";
    if (yuan > 0n || (jiao === 0 && fen === 0)) { text = integer + "元"; }
    if (jiao === 0 && fen === 0) { text += "整"; }
    else if (jiao === 0) { text += (yuan > 0n ? "零" : "") + DIGITS[fen] + "分"; }
    else { text += DIGITS[jiao] + "角" + (fen ? DIGITS[fen] + "分" : "整"); }
    return text;
  }

  var ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
              "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
  var TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
  var SCALES = ["", " thousand", " million", " billion", " trillion", " quadrillion"];

  function belowThousand(n) {
    var words = [];
    if (n >= 100) { words.push(ONES[Math.floor(n / 100)] + " hundred"); n %= 100; }
    if (n >= 20) { words.push(TENS[Math.floor(n / 10)] + (n % 10 ? "-" + ONES[n % 10] : "")); }
    else if (n > 0) { words.push(ONES[n]); }
    return words.join(" ");
  }

  function english(cents) {
    var yuan = cents / 100n, rest = Number(cents % 100n);
    var words = [], scale = 0;
    if (yuan === 0n) { words.push("zero"); }
    while (yuan > 0n) {
      var chunk = Number(yuan % 1000n);
      if (chunk) {
        if (scale >= SCALES.length) { return ""; }
        words.unshift(belowThousand(chunk) + SCALES[scale]);
      }
      yuan = yuan / 1000n; scale++;
    }
    return words.join(" ") + (rest ? " and " + String(rest).padStart(2, "0") + "/100" : "");
  }

  function echo(input) {
    var out = document.getElementById(input.id + "-echo");
    if (!out) {
      out = document.createElement("div");
      out.id = input.id + "-echo";
      out.className = "form-text portal-amount-echo";
      out.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", out);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", (described ? described + " " : "") + out.id);
    }
    var value = input.value.trim();
    if (!value) { out.textContent = ""; return; }
    var parsed = parse(value);
    if (!parsed) { out.textContent = input.dataset.amountInvalid || "?"; return; }
    var form = input.form, currency = "";
    var select = form && form.querySelector("select[name$='currency']");
    if (select && select.value) { currency = select.value + " "; }
    var chinese = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
    var words = chinese ? capital(parsed.cents) : english(parsed.cents);
    var sign = parsed.negative ? (chinese ? "负" : "minus ") : "";
    out.textContent = "= " + currency + (parsed.negative ? "-" : "") + grouped(parsed.cents) +
      (words ? " · " + sign + words : "");
  }

  function wire(root) {
    root.querySelectorAll("input[data-amount-echo]").forEach(function (input) {
      if (input.dataset.echoWired) { return; }
      input.dataset.echoWired = "1";
      input.addEventListener("input", function () { echo(input); });
      if (input.value) { echo(input); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (event) { wire(event.target); });
})();
