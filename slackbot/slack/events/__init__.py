"""Events API callbacks: the App Home's ``app_home_opened``."""
