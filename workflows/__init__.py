"""Pure business rules: the article decider, review workflows and (later) compliance checks."""
