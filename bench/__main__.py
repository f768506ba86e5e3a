"""Run every benchmark and print its figures."""

from bench import foundation

if __name__ == "__main__":
    foundation.main()
