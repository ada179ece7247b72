"""CloudMentor@Scale: a subscription learning platform for IT and cloud professionals."""
