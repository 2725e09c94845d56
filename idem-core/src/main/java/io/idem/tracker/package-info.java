/**
 * Deduplication trackers: named per-user, per-session or per-tenant sets of processed job ids.
 * Start with {@link io.idem.tracker.Trackers}.
 */
@NullMarked
package io.idem.tracker;

import org.jspecify.annotations.NullMarked;
