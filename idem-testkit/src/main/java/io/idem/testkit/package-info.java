/**
 * What every store must pass: abstract JUnit 5 contract suites that a store's test extends by
 * saying how to build the store, plus test helpers.
 */
@NullMarked
package io.idem.testkit;

import org.jspecify.annotations.NullMarked;
