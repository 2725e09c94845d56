/** Implementation details. Not an API: anything here may change in any release. */
@NullMarked
package io.idem.internal;

import org.jspecify.annotations.NullMarked;
