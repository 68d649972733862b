import { createMetrics } from '../server/metrics';

describe('metrics', () => {
  test('after use, the Prometheus text lists every Stoa metric and the default process metrics', async () => {
    const metrics = createMetrics();
    metrics.connectedSockets.inc();
    metrics.events.inc({ event: 'message:send', outcome: 'ok' });
    metrics.eventDuration.observe({ event: 'message:send' }, 0.004);
    metrics.messagesStored.inc();
    metrics.reportsCreated.inc({ reason: 'spam' });
    metrics.moderationActions.inc({ type: 'hide_message' });
    metrics.rateLimitRefusals.inc({ limiter: 'messages' });
    metrics.rateLimitStoreErrors.inc({ limiter: 'messages' });
    metrics.databaseErrors.inc();
    metrics.droppedEvents.inc({ reason: 'no_ack' });

    const text = await metrics.text();
    for (const name of [
      'stoa_connected_sockets 1',
      'stoa_events_total{event="message:send",outcome="ok"} 1',
      'stoa_event_duration_seconds_bucket{le="0.0005",event="message:send"} 0',
      'stoa_event_duration_seconds_bucket{le="0.005",event="message:send"} 1',
      'stoa_event_duration_seconds_bucket{le="2",event="message:send"} 1',
      'stoa_messages_stored_total 1',
      'stoa_reports_created_total{reason="spam"} 1',
      'stoa_moderation_actions_total{type="hide_message"} 1',
      'stoa_rate_limit_refusals_total{limiter="messages"} 1',
      'stoa_rate_limit_store_errors_total{limiter="messages"} 1',
      'stoa_database_errors_total 1',
      'stoa_dropped_events_total{reason="no_ack"} 1',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  test('two servers in one process keep separate counts', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.messagesStored.inc(3);
    expect(await first.text()).toContain('stoa_messages_stored_total 3');
    expect(await second.text()).toContain('stoa_messages_stored_total 0');
  });
});
