import ArgumentParser

BotCtl.main()
