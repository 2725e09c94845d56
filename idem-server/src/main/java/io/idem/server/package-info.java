/**
 * The Idem server: {@code idem serve} (an HTTP API with tenants by API key, the {@code
 * Idempotency-Key} header, problem+json errors, Prometheus metrics and a dashboard) and the CLI.
 */
@NullMarked
package io.idem.server;

import org.jspecify.annotations.NullMarked;
