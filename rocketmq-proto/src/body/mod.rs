//! JSON bodies: topic routes, heartbeat data, consumer lists and offsets.
