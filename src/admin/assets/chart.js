// meshd admin UI: a small time-series chart drawn on a <canvas>, with no library. It plots a
// rate (solid line, left axis from 0 to a round maximum) and a success rate (dashed line, right
// axis from 0 to 100 %) over the last `spanMs` milliseconds. A null value leaves a gap.
"use strict";

var TimeChart = (function () {
  var PAD = {left: 52, right: 52, top: 10, bottom: 24};

  function niceMax(v) {
    if (!(v > 0)) { return 1; }
    var exp = Math.pow(10, Math.floor(Math.log10(v)));
    var f = v / exp;
    var nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nice * exp;
  }

  function shortNumber(v) {
    if (v >= 1e6) { return (v / 1e6).toFixed(v % 1e6 === 0 ? 0 : 1) + "M"; }
    if (v >= 1e3) { return (v / 1e3).toFixed(v % 1e3 === 0 ? 0 : 1) + "k"; }
    return String(Math.round(v * 100) / 100);
  }

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function Chart(canvas, spanMs) {
    this.canvas = canvas;
    this.spanMs = spanMs;
  }

  // Sizes the backing store to the element's CSS size (sharp on high-DPI screens).
  Chart.prototype.resize = function () {
    var dpr = window.devicePixelRatio || 1;
    var w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    var h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    var ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return {ctx: ctx, w: this.canvas.clientWidth, h: this.canvas.clientHeight};
  };

  // Plots `points` ([{t, rate, success}], t in performance.now() milliseconds, oldest first)
  // up to time `now`.
  Chart.prototype.draw = function (points, now) {
    var s = this.resize();
    var ctx = s.ctx;
    var plotW = s.w - PAD.left - PAD.right, plotH = s.h - PAD.top - PAD.bottom;
    if (plotW <= 0 || plotH <= 0) { return; }
    var muted = cssVar("--muted", "#545d68"), line = cssVar("--line", "#d5dbe1");
    var maxRate = niceMax(points.reduce(function (m, p) {
      return p.rate !== null && p.rate > m ? p.rate : m;
    }, 0));
    var span = this.spanMs;
    function x(t) { return PAD.left + plotW * (1 - (now - t) / span); }
    function yRate(v) { return PAD.top + plotH * (1 - v / maxRate); }
    function ySuccess(v) { return PAD.top + plotH * (1 - v); }

    ctx.clearRect(0, 0, s.w, s.h);
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.strokeStyle = line;
    ctx.fillStyle = muted;
    for (var i = 0; i <= 4; i++) {
      var y = PAD.top + plotH * i / 4;
      ctx.beginPath();
      ctx.moveTo(PAD.left, y);
      ctx.lineTo(PAD.left + plotW, y);
      ctx.stroke();
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.fillText(shortNumber(maxRate * (4 - i) / 4), PAD.left - 6, y);
      ctx.textAlign = "left";
      ctx.fillText((100 * (4 - i) / 4) + "%", PAD.left + plotW + 6, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (var m = 0; m * 60000 <= span; m++) {
      var tx = x(now - m * 60000);
      ctx.fillText(m === 0 ? "now" : "-" + m + "m", tx, PAD.top + plotH + 6);
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, plotW, plotH);
    ctx.clip();
    ctx.lineWidth = 2;
    plot(ctx, points, "rate", x, yRate, cssVar("--rate", "#0b5cad"), []);
    plot(ctx, points, "success", x, ySuccess, cssVar("--success", "#17692f"), [6, 4]);
    ctx.restore();
  };

  function plot(ctx, points, key, x, y, color, dash) {
    ctx.strokeStyle = color;
    ctx.setLineDash(dash);
    ctx.beginPath();
    var drawing = false;
    points.forEach(function (p) {
      var v = p[key];
      if (v === null || v === undefined) {
        drawing = false;
        return;
      }
      if (drawing) {
        ctx.lineTo(x(p.t), y(v));
      } else {
        ctx.moveTo(x(p.t), y(v));
        drawing = true;
      }
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }

  return Chart;
})();
