"""Subscribers: people, their lists and consents, the suppression list, GDPR access and erasure."""
