/**
 * ServerMetrics counts what the SQL server does (connections, statements and their latency, errors by
 * SQLSTATE class, transactions) and renders them, with the engine's own metrics (db.metrics()), as
 * Prometheus text for `--metrics-port` (GET /metrics).
 */
import { Histogram } from '../util/histogram.js';
import type { Metrics } from '../db/metrics.js';
import { prometheusText } from '../db/prometheus-text.js';

export class ServerMetrics {
  connectionsOpen = 0;
  connectionsTotal = 0;
  connectionsRefused = 0;
  /** statements by command (the first word of the tag: SELECT, INSERT, ...). */
  readonly statements = new Map<string, number>();
  /** errors by SQLSTATE class (the first two characters). */
  readonly errors = new Map<string, number>();
  commits = 0;
  rollbacks = 0;
  /** statementLatency: microseconds per statement (execution and sending its rows). */
  readonly statementLatency = new Histogram();

  statement(tag: string, micros: number): void {
    const space = tag.indexOf(' ');
    const command = (space < 0 ? tag : tag.slice(0, space)) || 'EMPTY';
    this.statements.set(command, (this.statements.get(command) ?? 0) + 1);
    if (command === 'COMMIT') this.commits++;
    else if (command === 'ROLLBACK') this.rollbacks++;
    this.statementLatency.record(micros);
  }

  error(sqlstate: string): void {
    const cls = sqlstate.slice(0, 2);
    this.errors.set(cls, (this.errors.get(cls) ?? 0) + 1);
  }

  /** text renders the server's and the engine's metrics as Prometheus exposition text. */
  text(engine: Metrics): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      out.push(`# HELP shale_sql_${name} ${help}`, `# TYPE shale_sql_${name} ${type}`);
    };
    family('connections', 'gauge', 'Open client connections.');
    out.push(`shale_sql_connections ${this.connectionsOpen}`);
    family('connections_total', 'counter', 'Client connections accepted since start.');
    out.push(`shale_sql_connections_total ${this.connectionsTotal}`);
    family('connections_refused_total', 'counter', 'Connections refused (too many clients).');
    out.push(`shale_sql_connections_refused_total ${this.connectionsRefused}`);
    family('statements_total', 'counter', 'Statements completed, by command.');
    for (const [k, v] of [...this.statements].sort())
      out.push(`shale_sql_statements_total{command="${k}"} ${v}`);
    family('errors_total', 'counter', 'Statements that failed, by SQLSTATE class.');
    for (const [k, v] of [...this.errors].sort()) out.push(`shale_sql_errors_total{class="${k}"} ${v}`);
    family('transactions_committed_total', 'counter', 'Explicit transactions committed (COMMIT).');
    out.push(`shale_sql_transactions_committed_total ${this.commits}`);
    family('transactions_rolled_back_total', 'counter', 'Explicit transactions rolled back (ROLLBACK).');
    out.push(`shale_sql_transactions_rolled_back_total ${this.rollbacks}`);
    const h = this.statementLatency;
    family('statement_seconds', 'summary', 'Statement latency (since start).');
    for (const q of [50, 99, 99.9])
      out.push(`shale_sql_statement_seconds{quantile="${q / 100}"} ${h.percentile(q) / 1e6}`);
    out.push(
      `shale_sql_statement_seconds_sum ${h.sum / 1e6}`,
      `shale_sql_statement_seconds_count ${h.count}`,
    );
    return out.join('\n') + '\n' + prometheusText(engine);
  }
}
