"""`python -m loopback.sendgrid --port 0 …`: the local SendGrid as its own process."""

from loopback.sendgrid.process import main

main()
