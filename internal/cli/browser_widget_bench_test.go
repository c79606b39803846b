package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// BenchmarkWidgetLoad times the widget as a visitor meets it, in headless
// Chromium on loopback with the browser's cache off (a first visit):
//
//   - launcher: from the page inserting the loader's script to the frame
//     after the launcher was added (it is painted then);
//   - open-cold: from magicWidget.open() to the panel's "opened" event,
//     with the panel's frame not yet loaded (opened at once);
//   - open-warm: the same once the frame is there (it is loaded when the
//     page is idle, so this is a visitor who opens it after a moment).
//
// Run it with
//
//	go test ./internal/cli -run '^$' -bench BenchmarkWidgetLoad -benchtime 40x
//
// Each iteration loads the page afresh; the figures are milliseconds.
func BenchmarkWidgetLoad(b *testing.B) {
	exe := chromiumPath(b)
	db := filepath.Join(b.TempDir(), "bench.db")
	runCLI(b, "community", "create", "Acme", "--db", db, "--json")
	var w widgetJSON
	if err := json.Unmarshal(runCLI(b, "widget", "create", "--community", "acme", "--name", "Acme help", "--db", db, "--json"), &w); err != nil {
		b.Fatal(err)
	}
	node := startLiveNode(b, db)
	host := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(rw, `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1>
<script>
  window.__t0 = performance.now();
  new MutationObserver((_, o) => {
    if (!document.querySelector('[data-openboards-widget]')) return;
    o.disconnect();
    requestAnimationFrame(() => { window.__launcher = performance.now() - __t0; });
  }).observe(document.body, { childList: true });
  const s = document.createElement("script"); s.async = true;
  s.src = %q; document.body.appendChild(s);
  window.magicWidgetAsyncInit = function () { magicWidget.initializeAsync({ community: 'acme', widgetId: %d }) };
  window.__open = () => new Promise(done => {
    const t = performance.now();
    const off = magicWidget.on('opened', () => { off(); requestAnimationFrame(() => done(performance.now() - t)); });
    magicWidget.open();
  });
</script></body></html>`, node.s.URL+"/magic-widget.js", w.WidgetID)
	}))
	defer host.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.UserDataDir(b.TempDir()),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 800))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(tab, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.Fatal(err)
	}
	await := func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }
	var launcher, cold, warm []float64
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		if err := chromedp.Do(ctx, chromedp.Navigate(host.URL)); err != nil {
			b.Fatal(err)
		}
		l, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__launcher`, chromedp.WithPollingInterval(5*time.Millisecond)))
		if err != nil {
			b.Fatal(err)
		}
		c, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`__open()`, await))
		if err != nil {
			b.Fatal(err)
		}
		wm, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(magicWidget.close(), __open())`, await))
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		launcher, cold, warm = append(launcher, l), append(cold, c), append(warm, wm)
	}
	b.StopTimer()
	for _, m := range []struct {
		name string
		v    []float64
	}{{"launcher", launcher}, {"open-cold", cold}, {"open-warm", warm}} {
		slices.Sort(m.v)
		b.ReportMetric(quantile(m.v, 0.5), m.name+"-p50-ms")
		b.ReportMetric(quantile(m.v, 0.95), m.name+"-p95-ms")
		b.ReportMetric(m.v[len(m.v)-1], m.name+"-max-ms")
	}
	b.ReportMetric(0, "ns/op")
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
