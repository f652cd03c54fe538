"""The front page: a little of every part of the platform, so it sits above them all."""
