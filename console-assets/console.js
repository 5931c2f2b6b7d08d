// bindwall console: draws the charts a page describes (Chart.js, served by bindwall itself)
// and keeps the overview's live status current. Pages work without it: every chart has its
// numbers in a table, and the status is rendered on the server.
'use strict';
(function () {
  function drawCharts() {
    if (typeof window.Chart !== 'function') return;
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      try {
        var config = JSON.parse(canvas.getAttribute('data-chart'));
        config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
        new window.Chart(canvas, config);
        canvas.setAttribute('data-drawn', 'true');
      } catch (e) {
        canvas.setAttribute('data-chart-error', String(e && e.message));
      }
    });
  }

  function refreshLive() {
    var list = document.querySelector('[data-live]');
    if (!list) return;
    var url = list.getAttribute('data-live');
    setInterval(function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (live) {
          if (!live) return;
          var items = live.upstreams.map(function (u) { return ['upstream', u]; }).concat(live.connectors.map(function (c) { return ['connector', c]; }));
          items.forEach(function (pair) {
            var el = list.querySelector('[data-live-item="' + CSS.escape(pair[0] + ':' + pair[1].name) + '"]');
            if (!el) return;
            el.className = pair[1].ok ? 'ok' : 'bad';
            el.querySelector('.detail').textContent = (pair[1].ok ? 'OK' : 'PROBLEM') + ': ' + pair[1].detail;
          });
        })
        .catch(function () { /* the next round tries again */ });
    }, 10000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    drawCharts();
    refreshLive();
  });
})();
