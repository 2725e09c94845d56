/** Stores that keep everything in this process's memory: for tests and single processes. */
@NullMarked
package io.idem.memory;

import org.jspecify.annotations.NullMarked;
