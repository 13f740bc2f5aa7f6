// The HTTP side's own metrics, in the daemon's registry (one HTTP server per
// daemon). They show the endpoints' load and whether anyone can scrape at all.
import { Counter, Gauge, type Registry } from 'prom-client';

export class HttpMetrics {
  readonly listening: Gauge;
  readonly badRequests: Counter;
  readonly overloaded: Counter;
  readonly metricsRenders: Counter;
  readonly statusReads: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.listening = new Gauge({
      name: 'cronkeeper_http_listening',
      help: '1 while the HTTP endpoints are bound to http.listen, 0 while binding fails (retried with backoff).',
      registers,
    });
    this.badRequests = new Counter({
      name: 'cronkeeper_http_bad_requests_total',
      help: 'Connections closed for a request that could not be parsed (or arrived too slowly).',
      registers,
    });
    this.overloaded = new Counter({
      name: 'cronkeeper_http_overloaded_total',
      help: 'Requests answered 503 because as many requests as allowed were already being served.',
      registers,
    });
    this.metricsRenders = new Counter({
      name: 'cronkeeper_http_metrics_renders_total',
      help: 'Times /metrics was rendered; concurrent scrapes within about a second share one render.',
      registers,
    });
    this.statusReads = new Counter({
      name: 'cronkeeper_http_status_reads_total',
      help: 'Times the status document was read from the store for /status; concurrent requests share one read.',
      registers,
    });
  }
}
