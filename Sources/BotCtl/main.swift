import Edge
import ArgumentParser
import Bots

BotCtl.main()
