/** Small programs that the README points at; the build compiles and tests them. */
@NullMarked
package io.idem.examples;

import org.jspecify.annotations.NullMarked;
