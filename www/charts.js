// A tiny canvas line chart for the demo's live plots (no dependency).
export class LineChart {
  constructor(canvas, { series, max = null, unit = '', digits = 0 }) {
    this.canvas = canvas;
    this.series = series; // [{ name, color }]
    this.max = max;
    this.unit = unit;
    this.digits = digits;
    this.data = series.map(() => []);
    this.limit = 60; // 30 s at the demo's 500 ms metrics interval
  }

  push(values) {
    values.forEach((v, i) => {
      const d = this.data[i];
      d.push(Number.isFinite(v) ? v : null);
      if (d.length > this.limit) d.shift();
    });
    this.canvas.dataset.points = String(this.data[0].length);
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (c.width !== Math.round(w * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const all = this.data.flat().filter((v) => v !== null);
    const top = this.max ?? Math.max(1, ...all) * 1.15;
    const pad = { l: 40, r: 8, t: 8, b: 16 };
    g.strokeStyle = '#e3e7ef';
    g.fillStyle = '#6b7487';
    g.font = '10px system-ui, sans-serif';
    for (let i = 0; i <= 2; i++) {
      const y = pad.t + ((h - pad.t - pad.b) * i) / 2;
      g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
      const v = top * (1 - i / 2);
      g.fillText(`${v.toFixed(this.digits)}${this.unit}`, 2, y + 3);
    }
    this.series.forEach((s, i) => {
      const d = this.data[i];
      g.strokeStyle = s.color;
      g.lineWidth = 1.8;
      g.beginPath();
      let started = false;
      d.forEach((v, x) => {
        if (v === null) return;
        const px = pad.l + ((w - pad.l - pad.r) * x) / Math.max(1, this.limit - 1);
        const py = pad.t + (h - pad.t - pad.b) * (1 - Math.min(v, top) / top);
        if (started) g.lineTo(px, py); else { g.moveTo(px, py); started = true; }
      });
      g.stroke();
    });
    let lx = pad.l;
    this.series.forEach((s) => {
      g.fillStyle = s.color;
      g.fillRect(lx, h - 10, 8, 3);
      g.fillStyle = '#394155';
      g.fillText(s.name, lx + 11, h - 6);
      lx += g.measureText(s.name).width + 26;
    });
  }
}
