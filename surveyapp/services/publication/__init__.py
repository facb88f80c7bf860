"""The public record (issue 21): every hall's published figures."""
