"""The demo: a bundled sample complaint board and a notification inbox, to see Yuqing work without internet."""
