import ArgumentParser
import Bots

BotCtl.main()
