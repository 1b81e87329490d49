"""Code the test app imports: editing this file must restart the app."""
TEXT = "hello from version 1"
