//! Messages: properties, unique ids, batches, stored-message decoding, flags and validation.
