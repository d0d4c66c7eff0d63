"""The distributed runtime: the relay from the event store to Kafka, the workers that consume
it, and the state the processes share in Redis (README, "Distributed runtime")."""
