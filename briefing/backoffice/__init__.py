"""What the admin web app asks of the core beyond the existing stages: CSV imports run in
the background with their progress in the database, subscriber pages that stay fast on
large lists, one person's deliveries, an edition's deliveries, and the dashboard."""
